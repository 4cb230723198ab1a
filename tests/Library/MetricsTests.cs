using System.Diagnostics.Metrics;
using IdentityTwoFactor.Codes;
using IdentityTwoFactor.Lockout;
using IdentityTwoFactor.Metrics;
using IdentityTwoFactor.Tests.Library.Support;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;

namespace IdentityTwoFactor.Tests.Library;

/// <summary>The library's instruments, recorded by its own sign-in manager, code sender, code provider and unlock
/// service on the host's <see cref="IMeterFactory"/> (so this host's collectors see this host's measurements only).</summary>
public sealed class MetricsTests
{
    private const string Password = "Correct horse 1!";
    private const string Phone = "+16505550199";

    [Fact]
    public async Task ALockAndItsUnlockAreCountedOnceEachWithTagsFromFixedLists()
    {
        await using var host = new LibraryHost<IdentityUser, AppDbContext>(DatabaseKind.Sqlite, o =>
        {
            o.UseSignInManager = true;
            o.ResendCooldown = TimeSpan.Zero; // the resend right after the lock's own text
        }, services: s => s.AddAuthentication());
        var meters = host.Services.GetRequiredService<IMeterFactory>();
        using var texts = new MetricCollector<long>(meters, SmsTwoFactorMetrics.MeterName, "identitytwofactor.texts");
        using var locks = new MetricCollector<long>(meters, SmsTwoFactorMetrics.MeterName, "identitytwofactor.locks");
        using var unlocks = new MetricCollector<long>(meters, SmsTwoFactorMetrics.MeterName, "identitytwofactor.unlocks");
        using var checks = new MetricCollector<long>(meters, SmsTwoFactorMetrics.MeterName, "identitytwofactor.code_checks");
        await using (var scope = host.Scope())
        {
            var users = scope.ServiceProvider.GetRequiredService<UserManager<IdentityUser>>();
            Assert.True((await users.CreateAsync(new IdentityUser { UserName = "bo@example.com", Email = "bo@example.com", PhoneNumber = Phone, PhoneNumberConfirmed = true }, Password)).Succeeded);
        }

        for (var i = 0; i < 3; i++)
        {
            await using var scope = host.Scope();
            var user = (await scope.ServiceProvider.GetRequiredService<UserManager<IdentityUser>>().FindByEmailAsync("bo@example.com"))!;
            await scope.ServiceProvider.GetRequiredService<SignInManager<IdentityUser>>().CheckPasswordSignInAsync(user, "wrong", lockoutOnFailure: false);
        }
        await using (var scope = host.Scope())
        {
            var user = (await scope.ServiceProvider.GetRequiredService<UserManager<IdentityUser>>().FindByEmailAsync("bo@example.com"))!;
            var unlock = scope.ServiceProvider.GetRequiredService<SmsUnlockService<IdentityUser>>();
            Assert.Equal(SmsUnlockResult.WrongCode, await unlock.UnlockAsync(user, "000000"));
            Assert.Equal(SmsCodeSendStatus.Sent, (await unlock.ResendAsync(user))!.Status);
            Assert.Equal(SmsUnlockResult.Unlocked, await unlock.UnlockAsync(user, host.Sms.LastCodeTo(Phone)));
        }

        Assert.Equal([("unlock", "sent"), ("unlock", "sent")], texts.GetMeasurementSnapshot().Select(m => ((string)m.Tags["purpose"]!, (string)m.Tags["outcome"]!)));
        Assert.Equal(["password"], locks.GetMeasurementSnapshot().Select(m => (string)m.Tags["cause"]!));
        Assert.Equal(["texted-code"], unlocks.GetMeasurementSnapshot().Select(m => (string)m.Tags["method"]!));
        Assert.Equal([("unlock", "wrong"), ("unlock", "valid")], checks.GetMeasurementSnapshot().Select(m => ((string)m.Tags["purpose"]!, (string)m.Tags["result"]!)));
    }

    [Theory]
    [InlineData("ChangePhoneNumber:+16505550199", "change-phone")]
    [InlineData("Unlock", "unlock")]
    [InlineData("ResetPassword", "reset")]
    [InlineData("TwoFactor", "sign-in")]
    [InlineData("Something:+16505550199", "other")]
    public void APurposeBecomesItsKindNeverTheNumberItCarries(string purpose, string tag) =>
        Assert.Equal(tag, SmsTwoFactorMetrics.PurposeTag(purpose));
}
