using System.Net;
using IdentityTwoFactor.FakeRingCentral;
using IdentityTwoFactor.Tests.Unit.Support;
using Microsoft.EntityFrameworkCore;

namespace IdentityTwoFactor.Tests.Unit.Site;

/// <summary>RingCentral failing while an account locks: a clear retryable message, nothing recorded as sent,
/// the lock unchanged by the fault, and a working code once it recovers.</summary>
public sealed class ProviderFaultTests
{
    private const string Password = "correct horse battery";
    private const string Phone = "+16502530000";

    public static TheoryData<string> Faults => ["refused", "timeout", "429", "500"];

    [Theory]
    [MemberData(nameof(Faults))]
    public async Task AFaultWhileLockingIsRetryableAndRecoverable(string fault)
    {
        await using var site = await SiteFactory.StartAsync(new() { ["RingCentral:SendTimeout"] = "00:00:01" });
        var email = $"user-{Guid.NewGuid():N}@example.com";
        using var client = site.NewClient();
        await client.SignUpAsync(email, Password);
        await client.LogInAsync(email, "wrong password");
        await client.LogInAsync(email, "wrong password");
        if (fault == "refused")
        {
            await site.RingCentral.StopAsync();
        }
        else
        {
            site.RingCentral.FailAllSms(fault switch
            {
                "timeout" => FakeFailure.Slow(TimeSpan.FromSeconds(3)),
                "429" => FakeFailure.RateLimited(42),
                _ => FakeFailure.ServerError,
            });
        }

        var response = await client.LogInAsync(email, "wrong password");
        var page = await client.FollowAsync(response);

        Assert.Equal("/unlock", response.Headers.Location?.OriginalString);
        var flashes = FormClient.Flashes(page);
        Assert.Contains(flashes, f => f.StartsWith("Your account is temporarily locked. We could not send the verification code right now. Please try again in "
            + (fault == "429" ? "42 seconds." : "a minute."), StringComparison.Ordinal));
        Assert.DoesNotContain("Something went wrong", page, StringComparison.Ordinal);
        var user = await site.WithDbAsync(db => db.Users.AsNoTracking().SingleAsync(u => u.Email == email));
        Assert.Equal(3, user.AccessFailedCount);
        Assert.NotNull(user.LockoutEnd);
        Assert.Equal(0, await site.WithDbAsync(db => db.UserCodes.CountAsync()));

        await site.RingCentral.StartAsync();
        site.RingCentral.ClearFailures();
        var resent = await client.FollowAsync(await client.ResendUnlockAsync(email));
        Assert.Contains("If that account is locked, a new verification code was sent to its mobile phone.", FormClient.Flashes(resent));
        var code = site.RingCentral.LastCodeSentTo(Phone);
        Assert.NotNull(code);
        var unlocked = await client.FollowAsync(await client.UnlockAsync(email, code));
        Assert.Contains("Your account is unlocked. Please log in.", FormClient.Flashes(unlocked));
        Assert.Equal("/", (await client.LogInAsync(email, Password)).Headers.Location?.OriginalString);
    }
}
