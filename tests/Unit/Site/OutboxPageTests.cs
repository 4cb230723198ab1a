using System.Net;
using IdentityTwoFactor.Tests.Unit.Support;

namespace IdentityTwoFactor.Tests.Unit.Site;

/// <summary>The development outbox, as a developer running the built site sees it: the texts, and every limit that
/// decides which texts go, with its setting, default and current value.</summary>
public sealed class OutboxPageTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("itf-outbox-").FullName;

    [Fact]
    public async Task TheOutboxDescribesEveryLimitWithItsSettingAndValue()
    {
        using var site = await SiteProcess.StartAsync(_folder, Path.Combine(_folder, "site.db"),
            Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)),
            readyTimeout: TimeSpan.FromSeconds(90), environment: new Dictionary<string, string> { ["TwoFactor__MaxTextsPerNumberPerHour"] = "7", ["Phone__AllowedRegions"] = "US,CA" });
        using var http = new HttpClient { BaseAddress = site.BaseAddress };

        var page = WebUtility.HtmlDecode(await http.GetStringAsync(new Uri("/dev/outbox", UriKind.Relative)));

        foreach (var setting in new[] { "TwoFactor:ResendCooldown", "TwoFactor:MaxTextsPerHour", "TwoFactor:MaxTextsPerNumberPerHour", "TwoFactor:MaxTextsPerNumberPerDay",
            "TwoFactor:MaxTextsPerDay", "TwoFactor:SignupShareOfDailyTexts", "TwoFactor:MaxWrongCodesPerDay", "Phone:AllowedRegions", "RateLimits:PermitLimit", "RateLimits:Window" })
        {
            Assert.Contains(setting, page, StringComparison.Ordinal);
        }
        Assert.Contains("<code>TwoFactor:MaxTextsPerNumberPerHour</code> (3): 7;", page, StringComparison.Ordinal);
        Assert.Contains("(the default region): US, CA.", page, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
