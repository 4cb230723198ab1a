using IdentityTwoFactor.Identity;
using IdentityTwoFactor.Tests.Unit.Support;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace IdentityTwoFactor.Tests.Unit.Site;

/// <summary>
/// Password guesses in flight must not get past the lock: with the count one short of the limit, a burst of parallel
/// right and wrong passwords through the real login page either signs someone in (and the account stays open) or locks
/// (and nobody signs in), and compares at most one password. Production's hashing cost, so the requests overlap.
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
                Assert.Equal("/login", (await owner.SignUpAsync(email, Password, $"(650) 254-{suffix:0000}")).Headers.Location?.OriginalString);
                for (var i = 0; i < 2; i++)
                {
                    await owner.LogInAsync(email, "wrong password");
                }
            }
            var clients = Enumerable.Range(0, Burst).Select(_ => _site.NewClient()).ToArray();
            var tokens = await Task.WhenAll(clients.Select(c => c.GetTokenAsync("/login")));
            _hasher.Verifications = 0;

            var answers = await Task.WhenAll(clients.Select(async (c, i) =>
            {
                using var form = new FormUrlEncodedContent([
                    new("Input.Email", email), new("Input.Password", i % 2 == 0 ? Password : "wrong password"), new("__RequestVerificationToken", tokens[i])]);
                return (await c.Http.PostAsync(new Uri("/login", UriKind.Relative), form)).Headers.Location?.OriginalString;
            }));

            var signedIn = answers.Count(a => a == "/");
            var user = await _site.WithDbAsync(db => db.Users.AsNoTracking().SingleAsync(u => u.Email == email));
            var locked = user.LockoutEndUtc is not null;
            Assert.True(signedIn == 0 || !locked, $"Round {round}: {signedIn} sign-ins on an account that ended locked.");
            Assert.True(signedIn > 0 || locked, $"Round {round}: nobody signed in and the account is open.");
            Assert.True(_hasher.Verifications <= 1, $"Round {round}: {_hasher.Verifications} passwords compared with one attempt left.");
            foreach (var c in clients)
            {
                c.Dispose();
            }
        }
    }

    public sealed class OnSqlite() : LockoutRaceTests(DatabaseKind.Sqlite);

    public sealed class OnPostgreSql() : LockoutRaceTests(DatabaseKind.PostgreSql);
}
