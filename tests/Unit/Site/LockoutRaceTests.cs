using IdentityTwoFactor.Identity;
using IdentityTwoFactor.Tests.Unit.Support;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace IdentityTwoFactor.Tests.Unit.Site;

/// <summary>
/// Password guesses in flight must not get past the lock: with the count one short of the limit, a burst of parallel
/// wrong passwords with one right one among them, through the real login page, compares one password before the lock
/// (never all of them, as when the lock was read at the start of each request), and the right one signs in only if
/// it came first. Production's hashing cost, so the requests overlap.
/// </summary>
public abstract class LockoutRaceTests(DatabaseKind database) : IAsyncLifetime
{
    private const string Password = "correct horse battery";
    private const int Rounds = 4;
    private const int Burst = 16;
    private readonly CountingPasswordHasher _hasher = new(iterations: 100_000);
    private SiteFactory _site = null!;
    private static int _phone;

    public async Task InitializeAsync()
    {
        var settings = new Dictionary<string, string?>();
        if (database == DatabaseKind.PostgreSql)
        {
            settings["Database:Provider"] = "PostgreSQL";
            settings["ConnectionStrings:Site"] = PostgresServer.NewDatabase();
            // Production on PostgreSQL needs the key ring's key shared by every instance.
            settings["DataProtection:KeyEncryptionKey"] = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        }
        _site = await SiteFactory.StartAsync(settings, s => s.AddScoped<IPasswordHasher<TwoFactorUser>>(_ => _hasher));
    }

    public async Task DisposeAsync() => await _site.DisposeAsync();

    [Fact]
    public async Task RightAndWrongPasswordsInFlightNeverSignInPastTheLock()
    {
        for (var round = 0; round < Rounds; round++)
        {
            var suffix = Interlocked.Increment(ref _phone);
            var email = $"race-{Guid.NewGuid():N}@example.com";
            using (var owner = _site.NewClient())
            {
                Assert.Equal(FormClient.AfterSignUp, (await owner.SignUpAsync(email, Password, $"(650) 254-{suffix:0000}")).Headers.Location?.OriginalString);
                for (var i = 0; i < 2; i++)
                {
                    await owner.LogInAsync(email, "wrong password");
                }
            }
            var clients = Enumerable.Range(0, Burst).Select(_ => _site.NewClient()).ToArray();
            var rightOne = round * 5 % Burst; // one right password among wrong ones, somewhere in the burst
            var tokens = await Task.WhenAll(clients.Select(c => c.GetTokenAsync("/login")));
            _hasher.Verifications = 0;

            var answers = await Task.WhenAll(clients.Select(async (c, i) =>
            {
                using var form = new FormUrlEncodedContent([
                    new("Input.Email", email), new("Input.Password", i == rightOne ? Password : "wrong password"), new("__RequestVerificationToken", tokens[i])]);
                return (await c.Http.PostAsync(new Uri("/login", UriKind.Relative), form)).Headers.Location?.OriginalString;
            }));

            var signedIn = answers.Count(a => a == "/");
            var user = await _site.WithDbAsync(db => db.Users.AsNoTracking().SingleAsync(u => u.Email == email));
            var locked = user.LockoutEnd is not null;
            var compared = _hasher.Verifications;
            // One attempt was left: the first to claim it decides. A wrong one locks before anyone else compares; the
            // right one signs in, and only then do the wrong ones still in flight count again from zero (at most the
            // limit of them compared before the next lock).
            Assert.True(signedIn <= 1, $"Round {round}: {signedIn} sign-ins with one right password.");
            if (signedIn == 0)
            {
                Assert.True(locked, $"Round {round}: nobody signed in and the account is open.");
                Assert.True(compared == 1, $"Round {round}: {compared} passwords compared with one attempt left and no sign-in.");
            }
            else
            {
                Assert.True(compared <= 1 + 3, $"Round {round}: {compared} passwords compared: one attempt, then at most 3 after the sign-in.");
            }
            foreach (var c in clients)
            {
                c.Dispose();
            }
        }
    }

    /// <summary>Counting first must not turn a busy account's right passwords into "locked": the attempt that reaches the
    /// limit locks only provisionally, and the others wait for its (right) answer.</summary>
    [Fact]
    public async Task SimultaneousRightPasswordsOfOneAccountAllSignIn()
    {
        const int Parallel = 8;
        var suffix = Interlocked.Increment(ref _phone);
        var email = $"busy-{Guid.NewGuid():N}@example.com";
        using (var owner = _site.NewClient())
        {
            Assert.Equal(FormClient.AfterSignUp, (await owner.SignUpAsync(email, Password, $"(650) 254-{suffix:0000}")).Headers.Location?.OriginalString);
        }
        for (var round = 0; round < 2; round++)
        {
            var clients = Enumerable.Range(0, Parallel).Select(_ => _site.NewClient()).ToArray();
            var tokens = await Task.WhenAll(clients.Select(c => c.GetTokenAsync("/login")));
            var answers = await Task.WhenAll(clients.Select(async (c, i) =>
            {
                using var form = new FormUrlEncodedContent([
                    new("Input.Email", email), new("Input.Password", Password), new("__RequestVerificationToken", tokens[i])]);
                return (await c.Http.PostAsync(new Uri("/login", UriKind.Relative), form)).Headers.Location?.OriginalString;
            }));

            Assert.All(answers, a => Assert.Equal("/", a));
            var user = await _site.WithDbAsync(db => db.Users.AsNoTracking().SingleAsync(u => u.Email == email));
            Assert.Null(user.LockoutEnd);
            Assert.Equal(0, user.AccessFailedCount);
            foreach (var c in clients)
            {
                c.Dispose();
            }
        }
    }

    public sealed class OnSqlite() : LockoutRaceTests(DatabaseKind.Sqlite);

    public sealed class OnPostgreSql() : LockoutRaceTests(DatabaseKind.PostgreSql);
}
