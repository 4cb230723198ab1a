using System.Net;
using IdentityTwoFactor.Tests.Unit.Support;
using Microsoft.EntityFrameworkCore;

namespace IdentityTwoFactor.Tests.Unit.Site;

/// <summary>Many browsers at once against one account, through the real pages, store and SMS client.</summary>
public sealed class ParallelAttackTests : IAsyncLifetime
{
    private const string Password = "correct horse battery";
    private const string Phone = "+16502530000";
    private SiteFactory _site = null!;

    public async Task InitializeAsync() => _site = await SiteFactory.StartAsync(new() { ["TwoFactor:ResendCooldown"] = "00:01:00" });

    public async Task DisposeAsync() => await _site.DisposeAsync();

    [Fact]
    public async Task ThirtyParallelWrongPasswordsLockOnceAndTextOnce()
    {
        var email = await SignUpAsync();

        var statuses = await InParallelAsync(30, client => client.LogInAsync(email, "wrong password"));

        Assert.All(statuses, s => Assert.Equal(HttpStatusCode.Redirect, s.StatusCode));
        Assert.Single(_site.RingCentral.Messages, m => m.To == Phone && m.Text.Contains("to unlock your account", StringComparison.Ordinal));
        var user = await _site.WithDbAsync(db => db.Users.AsNoTracking().SingleAsync(u => u.Email == email));
        Assert.Equal(3, user.AccessFailedCount);
        Assert.NotNull(user.LockoutEnd);
        Assert.Equal(1, statuses.Count(s => s.Headers.Location?.OriginalString == "/unlock" && s.LockedNow));
    }

    [Fact]
    public async Task ThirtyParallelSubmissionsOfOneValidCodeUnlockOnce()
    {
        var email = await SignUpAsync();
        await LockAsync(email);
        var code = _site.RingCentral.LastCodeSentTo(Phone)!;

        var pages = await InParallelAsync(30, async client =>
        {
            var response = await client.UnlockAsync(email, code);
            return FormClient.Flashes(await client.FollowAsync(response));
        });

        Assert.Single(pages, p => p.Contains("Your account is unlocked. Please log in."));
        Assert.All(pages.Where(p => !p.Contains("Your account is unlocked. Please log in.")),
            p => Assert.True(p.Contains("Please login.") || p.Contains(Pages.SmsMessages.InvalidCode), string.Join(" | ", p)));
        Assert.Null((await _site.WithDbAsync(db => db.Users.AsNoTracking().SingleAsync(u => u.Email == email))).LockoutEnd);
    }

    [Fact]
    public async Task ThirtyParallelResendsTextAtMostOnceWithinTheCooldown()
    {
        var email = await SignUpAsync();
        await LockAsync(email);
        _site.Clock.Advance(TimeSpan.FromMinutes(2)); // past the lock text's cooldown
        var before = _site.RingCentral.Messages.Count;

        var pages = await InParallelAsync(30, async client => FormClient.Flashes(await client.FollowAsync(await client.ResendUnlockAsync(email))));

        Assert.Equal(before + 1, _site.RingCentral.Messages.Count);
        Assert.Equal(29, pages.Count(p => p.Any(f => f.StartsWith("A code was texted moments ago. Please wait", StringComparison.Ordinal))));
    }

    private async Task<string> SignUpAsync()
    {
        var email = $"victim-{Guid.NewGuid():N}@example.com";
        using var client = _site.NewClient();
        var response = await client.SignUpAsync(email, Password);
        Assert.Equal(FormClient.AfterSignUp, response.Headers.Location?.OriginalString);
        return email;
    }

    private async Task LockAsync(string email)
    {
        using var client = _site.NewClient();
        for (var i = 0; i < 3; i++)
        {
            await client.LogInAsync(email, "wrong password");
        }
        Assert.NotNull(_site.RingCentral.LastCodeSentTo(Phone));
    }

    private async Task<T[]> InParallelAsync<T>(int count, Func<FormClient, Task<T>> action)
    {
        var clients = Enumerable.Range(0, count).Select(_ => _site.NewClient()).ToArray();
        // Each client fetches its form first, so the posts themselves race.
        using var start = new SemaphoreSlim(0);
        try
        {
            var tasks = clients.Select(async c => { await start.WaitAsync(); return await action(c); }).ToArray();
            start.Release(count);
            return await Task.WhenAll(tasks);
        }
        finally
        {
            foreach (var c in clients)
            {
                c.Dispose();
            }
        }
    }

    private async Task<AttemptResult[]> InParallelAsync(int count, Func<FormClient, Task<HttpResponseMessage>> action) =>
        await InParallelAsync(count, async client =>
        {
            var response = await action(client);
            var page = response.Headers.Location is { } location ? await client.Http.GetStringAsync(location) : "";
            return new AttemptResult(response.StatusCode, response.Headers,
                FormClient.Flashes(page).Any(f => f.StartsWith("Your account is temporarily locked. A verification code was sent", StringComparison.Ordinal)));
        });

    private sealed record AttemptResult(HttpStatusCode StatusCode, System.Net.Http.Headers.HttpResponseHeaders Headers, bool LockedNow);
}
