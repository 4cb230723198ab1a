using IdentityTwoFactor.Tests.Unit.Support;
using Microsoft.Extensions.Options;

namespace IdentityTwoFactor.Tests.Unit.Site;

/// <summary>The settings of issue 12: a bad value stops the site at start with one sentence naming the setting.</summary>
public sealed class AbuseSettingsTests
{
    [Theory]
    [InlineData("TwoFactor:SignupShareOfDailyTexts", "0", "TwoFactor:SignupShareOfDailyTexts must be a percentage between 1 and 100.")]
    [InlineData("TwoFactor:SignupShareOfDailyTexts", "150", "TwoFactor:SignupShareOfDailyTexts must be a percentage between 1 and 100.")]
    [InlineData("TwoFactor:MaxTextsPerNumberPerHour", "-1", "TwoFactor:MaxTextsPerNumberPerHour must be between 0 (off) and 1000.")]
    [InlineData("TwoFactor:MaxTextsPerNumberPerDay", "100000", "TwoFactor:MaxTextsPerNumberPerDay must be between 0 (off) and 10000.")]
    [InlineData("Phone:AllowedRegions", "US,USA", "Phone:AllowedRegions must be * or a comma-separated list of two-letter region codes such as US,CA (\"USA\" is not one).")]
    [InlineData("Phone:AllowedRegions", "US,,", "Phone:AllowedRegions must be * or a comma-separated list of two-letter region codes such as US,CA (\"\" is not one).")]
    [InlineData("Phone:AllowedRegions", "QQ", "Phone:AllowedRegions must be * or a comma-separated list of two-letter region codes such as US,CA (\"QQ\" is not one).")]
    public async Task ABadSettingStopsTheSiteWithASentenceNamingIt(string setting, string value, string sentence)
    {
        var error = await Assert.ThrowsAnyAsync<OptionsValidationException>(async () =>
        {
            await using var site = await SiteFactory.StartAsync(new() { [setting] = value });
        });

        Assert.Contains(sentence, error.Message, StringComparison.Ordinal);
    }
}
