using System.Net;
using IdentityTwoFactor.Identity;
using IdentityTwoFactor.Tests.Unit.Support;
using Microsoft.Extensions.DependencyInjection;

namespace IdentityTwoFactor.Tests.Unit.Site;

/// <summary>
/// Issue 16: password work passes one gate. With every hash slot held (here one slot, no queue, no wait), a request that
/// would hash gets the busy page at once, the same for a real and an unknown email, and nothing is counted or stored;
/// requests that need no hash (GETs, the refusal of a locked account, unlock resends) are served as usual.
/// </summary>
public sealed class BusyGateTests : IAsyncLifetime
{
    private const string Password = "correct horse battery";
    private SiteFactory _site = null!;

    public async Task InitializeAsync() => _site = await SiteFactory.StartAsync(new()
    {
        ["Hashing:MaxConcurrent"] = "1",
        ["Hashing:MaxQueue"] = "0",
        ["Hashing:MaxWait"] = "00:00:00",
    });

    public async Task DisposeAsync() => await _site.DisposeAsync();

    [Fact]
    public async Task WithEverySlotHeldPasswordFormsAnswerBusyAndChangeNothing()
    {
        using var client = _site.NewClient();
        Assert.Equal(HttpStatusCode.Redirect, (await client.SignUpAsync("ann@example.com", Password, "(650) 253-0001")).StatusCode);
        var before = await _site.SnapshotAsync();

        var answers = new List<(string What, HttpResponseMessage Answer)>();
        await using (await HoldEverySlotAsync())
        {
            using var stranger = _site.NewClient();
            answers.Add(("wrong password, real email", await stranger.LogInAsync("ann@example.com", "wrong password 1")));
            answers.Add(("right password, real email", await stranger.LogInAsync("ann@example.com", Password)));
            answers.Add(("unknown email", await stranger.LogInAsync("nobody@example.com", "wrong password 1")));
            answers.Add(("signup", await stranger.PostFormAsync("/signup",
                ("Input.Email", "bob@example.com"), ("Input.Password", Password), ("Input.ConfirmPassword", Password),
                ("Input.Phone", "(650) 253-0002"), ("Input.FirstName", "Bob"), ("Input.LastName", "Lee"))));
            answers.Add(("reset step 2, real email", await stranger.PostFormAsync("/reset-password",
                [new("Input.Email", "ann@example.com"), new("Input.Code", "123456"), new("Input.NewPassword", "another good password"),
                    new("Input.ConfirmPassword", "another good password")], "/reset-password?handler=Reset")));
        }

        var bodies = new List<string>();
        foreach (var (what, answer) in answers)
        {
            Assert.True(answer.StatusCode == HttpStatusCode.ServiceUnavailable, $"{what}: {(int)answer.StatusCode} {answer.Headers.Location}");
            Assert.Equal("5", answer.Headers.GetValues("Retry-After").Single());
            bodies.Add(await answer.Content.ReadAsStringAsync());
        }
        Assert.Contains(SiteBusyHandler.Sentence, bodies[0], StringComparison.Ordinal);
        Assert.All(bodies, body => Assert.Equal(bodies[0], body));
        Assert.Equal(before, await _site.SnapshotAsync());

        // The slot is free again: the same right password signs in, and no failure was counted meanwhile.
        Assert.Equal("/", (await client.LogInAsync("ann@example.com", Password)).Headers.Location?.OriginalString);
    }

    [Fact]
    public async Task WithEverySlotHeldRequestsThatHashNothingAreServed()
    {
        using var owner = _site.NewClient();
        await owner.SignUpAsync("cy@example.com", Password, "(650) 253-0003");
        for (var i = 0; i < 3; i++)
        {
            await owner.LogInAsync("cy@example.com", "wrong password " + i);
        }

        await using (await HoldEverySlotAsync())
        {
            using var visitor = _site.NewClient();
            var form = await visitor.Http.GetAsync(new Uri("/login", UriKind.Relative));
            Assert.Equal(HttpStatusCode.OK, form.StatusCode);
            // A locked account is refused without hashing its password: the unlock page, not the busy page.
            Assert.Equal("/unlock", (await visitor.LogInAsync("cy@example.com", Password)).Headers.Location?.OriginalString);
            Assert.Equal("/unlock", (await visitor.ResendUnlockAsync("cy@example.com")).Headers.Location?.OriginalString);
            var code = _site.RingCentral.LastCodeSentTo("+16502530003")!;
            Assert.Equal("/login", (await visitor.UnlockAsync("cy@example.com", code)).Headers.Location?.OriginalString);
        }
    }

    /// <summary>Takes the gate's only slot until disposed, as a long hash would.</summary>
    private async Task<IAsyncDisposable> HoldEverySlotAsync()
    {
        var gate = _site.Services.GetRequiredService<HashingGate>();
        var taken = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        var holding = gate.RunAsync(() =>
        {
            taken.SetResult();
            return release.Task;
        });
        await taken.Task;
        return new Held(release, holding);
    }

    private sealed class Held(TaskCompletionSource<bool> release, Task holding) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            release.SetResult(true);
            await holding;
        }
    }
}
