using IdentityTwoFactor.Sms;

namespace IdentityTwoFactor.Tests.Unit.Sms;

public sealed class PhoneMaskTests
{
    [Theory]
    [InlineData("+16505551234", "XXXXXXX1234")]
    [InlineData("+447700900123", "XXXXXXXX0123")]
    [InlineData("+1234", "XXXX")]
    [InlineData("", "")]
    [InlineData(null, "")]
    public void MaskKeepsOnlyTheLastFourDigits(string? e164, string expected) => Assert.Equal(expected, PhoneMask.Mask(e164));
}
