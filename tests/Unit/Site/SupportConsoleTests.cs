using System.Diagnostics.Metrics;
using System.Net;
using System.Text.RegularExpressions;
using IdentityTwoFactor.Identity;
using IdentityTwoFactor.Metrics;
using IdentityTwoFactor.Tests.Unit.Support;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;

namespace IdentityTwoFactor.Tests.Unit.Site;

/// <summary>The support console's rules through real HTTP: hidden from everyone but agents (a revoked agent included, at
/// the next request), nothing done without the agent's own password, every action recorded on both sides, no full number,
/// code or hash in any answer.</summary>
public sealed partial class SupportConsoleTests : IAsyncLifetime
{
    private const string Password = "correct horse battery";
    private SiteFactory _site = null!;
    private int _phones;

    public async Task InitializeAsync() => _site = await SiteFactory.StartAsync();

    public async Task DisposeAsync() => await _site.DisposeAsync();

    [GeneratedRegex("/support/account/([0-9a-f-]{36})")]
    private static partial Regex AccountPath();

    [Fact]
    public async Task EverySupportUrlIsNotFoundForTheSignedOutASignedInUserAndARevokedAgent()
    {
        var (caller, callerId) = await SignedUpAsync();
        await caller.Client.LogInAsync(caller.Email, Password);
        Assert.Equal(HttpStatusCode.OK, (await caller.Client.Http.GetAsync(new Uri("/account", UriKind.Relative))).StatusCode);
        using var anonymous = _site.NewClient();
        var (agent, _) = await AgentAsync();

        await AssertHiddenAsync(anonymous, callerId);
        await AssertHiddenAsync(caller.Client, callerId);
        Assert.Equal(HttpStatusCode.OK, (await agent.Client.Http.GetAsync(new Uri("/support", UriKind.Relative))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await agent.Client.Http.GetAsync(new Uri($"/support/account/{callerId}", UriKind.Relative))).StatusCode);

        Assert.Equal(0, await RunCommandAsync("--revoke-support", agent.Email));

        // The same browser, the same session: out at its very next request.
        await AssertHiddenAsync(agent.Client, callerId);
    }

    [Fact]
    public async Task SearchGoesByTheExactEmailAndSaysWhenThereIsNone()
    {
        var (caller, callerId) = await SignedUpAsync();
        var (agent, _) = await AgentAsync();

        var unknown = await agent.Client.PostFormAsync("/support", ("Input.Email", "nobody-" + caller.Email));
        var found = await agent.Client.PostFormAsync("/support", ("Input.Email", "  " + caller.Email.ToUpperInvariant() + " "));

        Assert.Equal(HttpStatusCode.OK, unknown.StatusCode);
        Assert.Contains("No account with that email.", await unknown.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal($"/support/account/{callerId}", found.Headers.Location?.OriginalString);
    }

    [Fact]
    public async Task AnAgentWithoutTheirOwnPasswordCannotAct()
    {
        var (caller, callerId) = await LockedCallerAsync();
        var (agent, agentId) = await AgentAsync();

        var missing = await PostActionAsync(agent, callerId, "Unlock", "");
        var otherPassword = await PostActionAsync(agent, callerId, "Unlock", Password + "!");
        var withoutToken = await agent.Client.PostFormAsync($"/support/account/{callerId}", [new("Input.Password", Password)],
            $"/support/account/{callerId}?handler=Unlock", withToken: false);

        Assert.Equal(HttpStatusCode.OK, missing.StatusCode);
        Assert.Contains("Enter your own password to act on this account.", await missing.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, otherPassword.StatusCode);
        Assert.Contains("Your password is not right. Nothing was done.", await otherPassword.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, withoutToken.StatusCode);
        var callerRow = await UserAsync(callerId);
        Assert.NotNull(callerRow.LockoutEnd);
        Assert.Equal(3, callerRow.AccessFailedCount);
        Assert.Equal(1, (await UserAsync(agentId)).AccessFailedCount); // the wrong password counts toward the agent's lock
        Assert.DoesNotContain(SecurityEventKinds.UnlockedBySupport, await KindsAsync(callerId));
        Assert.DoesNotContain(SecurityEventKinds.SupportUnlocked, await KindsAsync(agentId));
        Assert.Equal(1, await _site.WithDbAsync(db => db.UserCodes.CountAsync(c => c.UserId == callerId && c.Purpose == CodePurposes.Unlock)));
    }

    [Fact]
    public async Task AnAgentsWrongPasswordsLockTheAgentOutAndLeaveTheAccountAlone()
    {
        var (_, callerId) = await LockedCallerAsync();
        var (agent, agentId) = await AgentAsync();

        await PostActionAsync(agent, callerId, "Unlock", "wrong one");
        await PostActionAsync(agent, callerId, "Unlock", "wrong two");
        var third = await PostActionAsync(agent, callerId, "Unlock", "wrong three");

        Assert.Equal("/unlock", third.Headers.Location?.OriginalString);
        Assert.NotNull((await UserAsync(agentId)).LockoutEnd);
        Assert.NotNull((await UserAsync(callerId)).LockoutEnd);
        // Signed out: the console is gone for that browser.
        Assert.Equal(HttpStatusCode.NotFound, (await agent.Client.Http.GetAsync(new Uri("/support", UriKind.Relative))).StatusCode);
    }

    [Fact]
    public async Task UnlockClearsTheLockTheCountAndTheUnlockCodeAndIsRecordedOnBothSides()
    {
        var (caller, callerId) = await LockedCallerAsync();
        var (agent, agentId) = await AgentAsync();
        // The site's unlock counter (this site's meters only: test classes run in parallel).
        using var unlocks = new MetricCollector<long>(_site.Services.GetRequiredService<IMeterFactory>(), SmsTwoFactorMetrics.MeterName, "identitytwofactor.unlocks");

        var unlocked = await PostActionAsync(agent, callerId, "Unlock", Password);

        Assert.Equal($"/support/account/{callerId}", unlocked.Headers.Location?.OriginalString);
        var page = await agent.Client.FollowAsync(unlocked);
        Assert.Contains("The account is unlocked", string.Join(" ", FormClient.Flashes(page)), StringComparison.Ordinal);
        var row = await UserAsync(callerId);
        Assert.Null(row.LockoutEnd);
        Assert.Equal(0, row.AccessFailedCount);
        Assert.Equal(0, await _site.WithDbAsync(db => db.UserCodes.CountAsync(c => c.UserId == callerId && c.Purpose == CodePurposes.Unlock)));
        Assert.Contains(SecurityEventKinds.UnlockedBySupport, await KindsAsync(callerId));
        var agentEvent = await _site.WithDbAsync(db => db.SecurityEvents.AsNoTracking().SingleAsync(e => e.UserId == agentId && e.Kind == SecurityEventKinds.SupportUnlocked));
        Assert.Equal(caller.Email, agentEvent.Detail);
        Assert.Equal("/", (await caller.Client.LogInAsync(caller.Email, Password)).Headers.Location?.OriginalString);
        using var callersAccount = _site.NewClient();
        await callersAccount.LogInAsync(caller.Email, Password);
        Assert.Contains("Unlocked by support", await callersAccount.Http.GetStringAsync(new Uri("/account", UriKind.Relative)), StringComparison.Ordinal);

        // Counted once as a support unlock; "unlocking" the account again, now open, is done but opens nothing.
        await PostActionAsync(agent, callerId, "Unlock", Password);
        Assert.Equal(["support"], unlocks.GetMeasurementSnapshot().Where(m => m.Tags.ContainsKey("method")).Select(m => (string)m.Tags["method"]!));
    }

    [Fact]
    public async Task EndingAllSessionsSignsTheAccountOutOfEveryBrowser()
    {
        var (caller, callerId) = await SignedUpAsync();
        await caller.Client.LogInAsync(caller.Email, Password);
        using var second = _site.NewClient();
        await second.LogInAsync(caller.Email, Password);
        Assert.Equal(HttpStatusCode.OK, (await caller.Client.Http.GetAsync(new Uri("/account", UriKind.Relative))).StatusCode);
        var (agent, agentId) = await AgentAsync();

        var ended = await PostActionAsync(agent, callerId, "EndSessions", Password);

        Assert.Equal(HttpStatusCode.Redirect, ended.StatusCode);
        Assert.Equal(0, await _site.WithDbAsync(db => db.UserSessions.CountAsync(s => s.UserId == callerId)));
        foreach (var browser in new[] { caller.Client, second })
        {
            var account = await browser.Http.GetAsync(new Uri("/account", UriKind.Relative));
            Assert.Equal(HttpStatusCode.Redirect, account.StatusCode);
            Assert.StartsWith("/login", account.Headers.Location?.OriginalString, StringComparison.Ordinal);
        }
        Assert.Contains(SecurityEventKinds.SessionsEndedBySupport, await KindsAsync(callerId));
        Assert.Contains(SecurityEventKinds.SupportEndedSessions, await KindsAsync(agentId));
        // The agent's own session is untouched.
        Assert.Equal(HttpStatusCode.OK, (await agent.Client.Http.GetAsync(new Uri("/support", UriKind.Relative))).StatusCode);
    }

    [Fact]
    public async Task RequiringThePhoneAgainSendsTheNextSignInToConfirmIt()
    {
        var (caller, callerId) = await SignedUpAsync();
        var (agent, agentId) = await AgentAsync();

        await PostActionAsync(agent, callerId, "RequirePhoneConfirmation", Password);

        Assert.False((await UserAsync(callerId)).PhoneNumberConfirmed);
        Assert.Equal("/confirm-phone", (await caller.Client.LogInAsync(caller.Email, Password)).Headers.Location?.OriginalString);
        Assert.Contains(SecurityEventKinds.PhoneUnconfirmedBySupport, await KindsAsync(callerId));
        Assert.Contains(SecurityEventKinds.SupportUnconfirmedPhone, await KindsAsync(agentId));
    }

    [Fact]
    public async Task AnAgentCannotActOnTheirOwnAccount()
    {
        var (agent, agentId) = await AgentAsync();
        await _site.WithDbAsync(db => db.Users.Where(u => u.Id == agentId).ExecuteUpdateAsync(s => s.SetProperty(u => u.PhoneNumberConfirmed, true)));

        var page = await agent.Client.Http.GetStringAsync(new Uri($"/support/account/{agentId}", UriKind.Relative));
        var refused = await agent.Client.PostFormAsync("/support", [new("Input.Password", Password)],
            $"/support/account/{agentId}?handler=RequirePhoneConfirmation");

        Assert.DoesNotContain("handler=RequirePhoneConfirmation", page, StringComparison.Ordinal);
        Assert.Contains("Use your own account page", string.Join(" ", FormClient.Flashes(await agent.Client.FollowAsync(refused))), StringComparison.Ordinal);
        Assert.True((await UserAsync(agentId)).PhoneNumberConfirmed);
        Assert.DoesNotContain(SecurityEventKinds.SupportUnconfirmedPhone, await KindsAsync(agentId));
    }

    [Fact]
    public async Task NoAnswerShowsAFullNumberACodeOrAHash()
    {
        var (caller, callerId) = await LockedCallerAsync();
        var (agent, _) = await AgentAsync();
        var unlockCode = _site.RingCentral.LastCodeSentTo(caller.Phone) ?? throw new InvalidOperationException("No unlock code was texted.");
        var row = await UserAsync(callerId);
        var pages = new List<string>
        {
            await agent.Client.Http.GetStringAsync(new Uri("/support", UriKind.Relative)),
            await (await agent.Client.PostFormAsync("/support", ("Input.Email", caller.Email))).Content.ReadAsStringAsync(),
            await agent.Client.Http.GetStringAsync(new Uri($"/support/account/{callerId}", UriKind.Relative)),
            await (await PostActionAsync(agent, callerId, "Unlock", "wrong")).Content.ReadAsStringAsync(),
            await agent.Client.FollowAsync(await PostActionAsync(agent, callerId, "Unlock", Password)),
            await agent.Client.FollowAsync(await PostActionAsync(agent, callerId, "EndSessions", Password)),
            await agent.Client.FollowAsync(await PostActionAsync(agent, callerId, "RequirePhoneConfirmation", Password)),
        };

        var national = caller.Phone[2..]; // +1 6502531234 -> 6502531234
        Assert.Contains(pages, p => p.Contains("XXXXXXX" + caller.Phone[^4..], StringComparison.Ordinal));
        foreach (var html in pages)
        {
            Assert.DoesNotContain(national, html, StringComparison.Ordinal);
            Assert.DoesNotContain(national[3..6] + "-" + national[6..], html, StringComparison.Ordinal);
            Assert.DoesNotContain(unlockCode, html, StringComparison.Ordinal);
            Assert.DoesNotContain(row.PasswordHash!, html, StringComparison.Ordinal);
            Assert.DoesNotContain(row.SecurityStamp!, html, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task BadInputToTheConsoleIsAClearAnswerAndChangesNothing()
    {
        var (_, callerId) = await LockedCallerAsync();
        var (agent, agentId) = await AgentAsync();
        var before = await _site.SnapshotAsync();

        var unknownAccount = await agent.Client.Http.GetAsync(new Uri("/support/account/" + new string('7', 300), UriKind.Relative));
        var unknownHandler = await PostActionAsync(agent, callerId, "Nope", Password);
        var noHandler = await agent.Client.PostFormAsync($"/support/account/{callerId}", [new("Input.Password", Password)]);
        var hugePassword = await PostActionAsync(agent, callerId, "Unlock", new string('x', 5000));
        var hugeEmail = await agent.Client.PostFormAsync("/support", ("Input.Email", new string('a', 5000) + "@example.com"));
        var controlCharacters = await agent.Client.PostFormAsync("/support", ("Input.Email", "a\u0000b@example.com"));

        Assert.Equal(HttpStatusCode.NotFound, unknownAccount.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, unknownHandler.StatusCode);
        Assert.Equal($"/support/account/{callerId}", noHandler.Headers.Location?.OriginalString);
        Assert.Equal(HttpStatusCode.OK, hugePassword.StatusCode);
        Assert.Contains("maximum length of 1024", await hugePassword.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, hugeEmail.StatusCode);
        Assert.Contains("An email has at most 256 characters.", await hugeEmail.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.True((int)controlCharacters.StatusCode is >= 200 and < 500, controlCharacters.StatusCode.ToString());
        Assert.Equal(before, await _site.SnapshotAsync());
        Assert.Equal(0, (await UserAsync(agentId)).AccessFailedCount);
    }

    [Fact]
    public async Task TheConsolesFormsAreLimitedPerClientLikeEveryFormThatChecksASecret()
    {
        await _site.DisposeAsync();
        _site = await SiteFactory.StartAsync(new() { ["RateLimits:Enabled"] = "true", ["RateLimits:PermitLimit"] = "3", ["RateLimits:Window"] = "00:01:00" });
        var (_, callerId) = await SignedUpAsync();
        var (agent, agentId) = await AgentAsync();

        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 4; i++)
        {
            statuses.Add((await PostActionAsync(agent, callerId, "Unlock", "")).StatusCode);
        }

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests], statuses);
        Assert.Equal(HttpStatusCode.OK, (await agent.Client.Http.GetAsync(new Uri($"/support/account/{callerId}", UriKind.Relative))).StatusCode);
        Assert.Equal(0, (await UserAsync(agentId)).AccessFailedCount);
    }

    [Fact]
    public async Task TheCommandEntryPointRefusesAnUnknownEmailAndChangesNothing()
    {
        var before = await _site.SnapshotAsync();
        var roles = await _site.WithDbAsync(db => db.UserRoles.CountAsync());
        using var output = new StringWriter();

        var exit = await SupportRoleCommand.RunAsync(_site.Services, ["--grant-support", "nobody@example.com"], output);

        Assert.NotEqual(0, exit);
        Assert.Equal("No account with the email nobody@example.com: nothing changed.", output.ToString().Trim());
        Assert.Equal(before, await _site.SnapshotAsync());
        Assert.Equal(roles, await _site.WithDbAsync(db => db.UserRoles.CountAsync()));
    }

    private async Task AssertHiddenAsync(FormClient client, string accountId)
    {
        foreach (var path in new[] { "/support", $"/support/account/{accountId}", "/support?handler=x" })
        {
            var get = await client.Http.GetAsync(new Uri(path, UriKind.Relative));
            Assert.True(get.StatusCode == HttpStatusCode.NotFound, $"GET {path}: {get.StatusCode} {get.Headers.Location}");
        }
        foreach (var path in new[] { "/support", $"/support/account/{accountId}?handler=Unlock", $"/support/account/{accountId}?handler=EndSessions",
                     $"/support/account/{accountId}?handler=RequirePhoneConfirmation" })
        {
            using var form = new FormUrlEncodedContent([new("Input.Email", "a@example.com"), new("Input.Password", Password)]);
            var post = await client.Http.PostAsync(new Uri(path, UriKind.Relative), form);
            Assert.True(post.StatusCode == HttpStatusCode.NotFound, $"POST {path}: {post.StatusCode} {post.Headers.Location}");
        }
        var row = await UserAsync(accountId);
        Assert.DoesNotContain(await KindsAsync(accountId), k => k.EndsWith("BySupport", StringComparison.Ordinal));
        Assert.True(row.PhoneNumberConfirmed);
    }

    private static Task<HttpResponseMessage> PostActionAsync(Person agent, string accountId, string handler, string password) =>
        agent.Client.PostFormAsync($"/support/account/{accountId}", [new("Input.Password", password)], $"/support/account/{accountId}?handler={handler}");

    private sealed record Person(FormClient Client, string Email, string Phone) : IDisposable
    {
        public void Dispose() => Client.Dispose();
    }

    private async Task<(Person Person, string Id)> SignedUpAsync()
    {
        var client = _site.NewClient();
        var email = $"user-{Guid.NewGuid():N}@example.com";
        var n = Interlocked.Increment(ref _phones);
        var national = $"650253{n:D4}";
        await client.SignUpAsync(email, Password, $"({national[..3]}) {national[3..6]}-{national[6..]}");
        var id = await _site.WithDbAsync(db => db.Users.Where(u => u.Email == email).Select(u => u.Id).SingleAsync());
        return (new Person(client, email, "+1" + national), id);
    }

    private async Task<(Person Person, string Id)> AgentAsync()
    {
        var (agent, id) = await SignedUpAsync();
        Assert.Equal(0, await RunCommandAsync("--grant-support", agent.Email));
        await agent.Client.LogInAsync(agent.Email, Password);
        return (agent, id);
    }

    /// <summary>A caller who typed three wrong passwords: locked, with an unlock code texted.</summary>
    private async Task<(Person Person, string Id)> LockedCallerAsync()
    {
        var (caller, id) = await SignedUpAsync();
        for (var i = 0; i < 3; i++)
        {
            await caller.Client.LogInAsync(caller.Email, "not the password " + i);
        }
        Assert.NotNull((await UserAsync(id)).LockoutEnd);
        return (caller, id);
    }

    private async Task<int> RunCommandAsync(string option, string email)
    {
        using var output = new StringWriter();
        return await SupportRoleCommand.RunAsync(_site.Services, [option, email], output);
    }

    private Task<TwoFactorUser> UserAsync(string id) => _site.WithDbAsync(db => db.Users.AsNoTracking().SingleAsync(u => u.Id == id));

    private Task<List<string>> KindsAsync(string userId) =>
        _site.WithDbAsync(db => db.SecurityEvents.Where(e => e.UserId == userId).Select(e => e.Kind).ToListAsync());
}
