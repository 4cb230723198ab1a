using IdentityTwoFactor.Tests.Unit.Support;
using Microsoft.Extensions.Options;

namespace IdentityTwoFactor.Tests.Unit.Identity;

/// <summary>A lock shorter than a minute turns every failure into a new lock and a new text that skips the cooldown.</summary>
public sealed class LockoutSettingsTests
{
    [Theory]
    [InlineData("00:00:00")]
    [InlineData("00:00:59")]
    [InlineData("-00:10:00")]
    public void ALockoutDurationUnderOneMinuteStopsTheStart(string value)
    {
        var error = Assert.Throws<OptionsValidationException>(() => new IdentityHost(s => s["TwoFactor:LockoutDuration"] = value));

        Assert.Contains("TwoFactor:LockoutDuration", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("00:01:00")]
    [InlineData("1.00:00:00")]
    public async Task ALockoutDurationOfAMinuteOrMoreIsAccepted(string value)
    {
        await using var host = new IdentityHost(s => s["TwoFactor:LockoutDuration"] = value);
        var user = await host.CreateUserAsync();
        Assert.Equal(0, (await host.ReloadAsync(user)).AccessFailedCount);
    }
}
