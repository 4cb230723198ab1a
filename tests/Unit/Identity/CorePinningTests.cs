using IdentityTwoFactor.Data;
using IdentityTwoFactor.Identity;
using IdentityTwoFactor.Tests.Unit.Support;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace IdentityTwoFactor.Tests.Unit.Identity;

/// <summary>
/// Decision 0016: each password hash runs on a core no other hash is using, and its thread gets its old affinity back.
/// The hasher underneath records the affinity its thread had while hashing, and holds concurrent hashes together.
/// </summary>
public sealed class CorePinningTests
{
    private static readonly TwoFactorUser User = new();

    /// <summary>Records the calling thread's affinity mask during each hash; optionally waits for the others.</summary>
    private sealed class RecordingHasher(Barrier? together = null, bool fail = false) : IPasswordHasher<TwoFactorUser>
    {
        public List<ulong[]> Masks { get; } = [];

        public string HashPassword(TwoFactorUser user, string password)
        {
            Record();
            return "hash";
        }

        public PasswordVerificationResult VerifyHashedPassword(TwoFactorUser user, string hashedPassword, string providedPassword)
        {
            Record();
            return fail ? throw new InvalidOperationException("the hasher failed") : PasswordVerificationResult.Failed;
        }

        private void Record()
        {
            var mask = Mask();
            lock (Masks)
            {
                Masks.Add(mask);
            }
            together?.SignalAndWait(TimeSpan.FromSeconds(10));
        }
    }

    private static ulong[] Mask()
    {
        var mask = new ulong[16];
        Assert.True(CorePinning.TryGetAffinity(mask));
        return mask;
    }

    private static int[] CpusOf(ulong[] mask) =>
        Enumerable.Range(0, mask.Length * 64).Where(cpu => (mask[cpu / 64] & (1UL << (cpu % 64))) != 0).ToArray();

    private static CorePinning Pinning(bool on = true) => new(Options.Create(new HashingOptions { PinToCores = on }));

    /// <summary>An app's bare Identity registration: what <paramref name="register"/> adds first (the app's own
    /// hashers), then <c>AddIdentityCore</c> and the library's one call.</summary>
    private static ServiceProvider BareIdentityHost(Action<IServiceCollection> register)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().Build());
        register(services);
        services.AddIdentityCore<TwoFactorUser>().AddSmsTwoFactor<SiteDbContext>();
        return services.BuildServiceProvider();
    }

    /// <summary>Runs <paramref name="count"/> verifies at once on their own threads; returns each thread's mask after.</summary>
    private static List<ulong[]> VerifyAtOnce(CorePinningPasswordHasher<TwoFactorUser> hasher, int count)
    {
        var after = new List<ulong[]>();
        var threads = Enumerable.Range(0, count).Select(_ => new Thread(() =>
        {
            hasher.VerifyHashedPassword(User, "hash", "guess");
            var mask = Mask();
            lock (after)
            {
                after.Add(mask);
            }
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => Assert.True(t.Join(TimeSpan.FromSeconds(20))));
        return after;
    }

    [Fact]
    public void ConcurrentHashesEachGetACoreOfTheirOwnAndTheirThreadsGetTheirMaskBack()
    {
        var pinning = Pinning();
        var allowed = CpusOf(Mask());
        Assert.Equal(allowed, pinning.Cpus());
        if (allowed.Length < 2)
        {
            // One core: nothing to spread over, so nothing is pinned.
            Assert.False(pinning.Enabled);
            return;
        }
        Assert.True(pinning.Enabled);
        var inner = new RecordingHasher(new Barrier(allowed.Length));
        var after = VerifyAtOnce(new CorePinningPasswordHasher<TwoFactorUser>(inner, pinning), allowed.Length);

        var during = inner.Masks.Select(CpusOf).ToList();
        Assert.All(during, cpus => Assert.Single(cpus));
        Assert.Equal(allowed, during.Select(cpus => cpus[0]).Order().ToArray());
        Assert.All(after, mask => Assert.Equal(allowed, CpusOf(mask)));
    }

    [Fact]
    public void AHashBeyondTheCoresRunsUnpinned()
    {
        var pinning = Pinning();
        var allowed = CpusOf(Mask());
        var inner = new RecordingHasher(new Barrier(allowed.Length + 1));
        VerifyAtOnce(new CorePinningPasswordHasher<TwoFactorUser>(inner, pinning), allowed.Length + 1);

        var during = inner.Masks.Select(CpusOf).ToList();
        if (allowed.Length > 1)
        {
            // One hash per core, each on its own; the extra one keeps the thread's whole mask.
            Assert.Equal(allowed, during.Where(cpus => cpus.Length == 1).Select(cpus => cpus[0]).Order().ToArray());
            Assert.Single(during, cpus => cpus.SequenceEqual(allowed));
        }
        else
        {
            Assert.All(during, cpus => Assert.Equal(allowed, cpus));
        }
    }

    [Fact]
    public void AFailingHashStillGivesTheThreadItsMaskBackAndFreesItsCore()
    {
        var pinning = Pinning();
        var allowed = CpusOf(Mask());
        var hasher = new CorePinningPasswordHasher<TwoFactorUser>(new RecordingHasher(fail: true), pinning);

        for (var i = 0; i <= allowed.Length; i++)
        {
            Assert.Throws<InvalidOperationException>(() => hasher.VerifyHashedPassword(User, "hash", "guess"));
            Assert.Equal(allowed, CpusOf(Mask()));
        }
        // Every core is free again: the next hash is pinned (when there is more than one core to pin to).
        using var lease = pinning.Enter();
        Assert.Equal(allowed.Length > 1, lease.Cpu >= 0);
    }

    [Fact]
    public void WithPinToCoresOffHashesKeepTheThreadsMask()
    {
        var pinning = Pinning(on: false);
        var allowed = CpusOf(Mask());
        var inner = new RecordingHasher(new Barrier(2));

        VerifyAtOnce(new CorePinningPasswordHasher<TwoFactorUser>(inner, pinning), 2);

        Assert.False(pinning.Enabled);
        Assert.All(inner.Masks, mask => Assert.Equal(allowed, CpusOf(mask)));
    }

    [Fact]
    public void AnAppsOwnHasherRegisteredFirstIsTheOneThatHashesPinned()
    {
        var own = new RecordingHasher();
        using var provider = BareIdentityHost(services => services.AddSingleton<IPasswordHasher<TwoFactorUser>>(own));
        using var scope = provider.CreateScope();

        var hasher = Assert.IsType<CorePinningPasswordHasher<TwoFactorUser>>(scope.ServiceProvider.GetRequiredService<IPasswordHasher<TwoFactorUser>>());
        Assert.Same(own, hasher.Inner);
        hasher.VerifyHashedPassword(User, "hash", "guess");
        var allowed = CpusOf(Mask());
        var during = CpusOf(Assert.Single(own.Masks));
        Assert.Equal(allowed.Length > 1 ? 1 : allowed.Length, during.Length);
    }

    [Fact]
    public void AKeyedHasherRegisteredAfterTheAppsOwnDoesNotKeepItFromBeingWrapped()
    {
        var own = new RecordingHasher();
        var keyed = new RecordingHasher();
        using var provider = BareIdentityHost(services =>
        {
            services.AddSingleton<IPasswordHasher<TwoFactorUser>>(own);
            services.AddKeyedSingleton<IPasswordHasher<TwoFactorUser>>("legacy", keyed);
        });
        using var scope = provider.CreateScope();

        var hasher = Assert.IsType<CorePinningPasswordHasher<TwoFactorUser>>(scope.ServiceProvider.GetRequiredService<IPasswordHasher<TwoFactorUser>>());
        Assert.Same(own, hasher.Inner);
        Assert.Same(keyed, scope.ServiceProvider.GetRequiredKeyedService<IPasswordHasher<TwoFactorUser>>("legacy"));
    }

    /// <summary>Hashes to its own name and records what it was asked to verify.</summary>
    private class NamedHasher : IPasswordHasher<TwoFactorUser>
    {
        public List<string> Verified { get; } = [];

        public string HashPassword(TwoFactorUser user, string password) => GetType().Name;

        public PasswordVerificationResult VerifyHashedPassword(TwoFactorUser user, string hashedPassword, string providedPassword)
        {
            Verified.Add(hashedPassword);
            return PasswordVerificationResult.Failed;
        }
    }

    private sealed class FirstHasher : NamedHasher;

    private sealed class SecondHasher : NamedHasher;

    [Fact]
    public void TheDummyHashForUnknownEmailsIsMadeByTheHasherInsideTheWrapper()
    {
        // The wrapper is one type around any hasher; a dummy hash made by one hasher and checked by another would not
        // cost a real check's time (a hash in a foreign format fails at once).
        var pinning = Pinning();
        var first = new FirstHasher();
        var second = new SecondHasher();

        new DummyPasswordCheck(new CorePinningPasswordHasher<TwoFactorUser>(first, pinning)).Verify("guess");
        new DummyPasswordCheck(new CorePinningPasswordHasher<TwoFactorUser>(second, pinning)).Verify("guess");

        Assert.Equal([nameof(FirstHasher)], first.Verified);
        Assert.Equal([nameof(SecondHasher)], second.Verified);
    }

    [Fact]
    public async Task TheSitesHashesGoThroughIdentitysHasherPinned()
    {
        await using var site = await SiteFactory.StartAsync();
        await using var scope = site.Services.CreateAsyncScope();

        var hasher = Assert.IsType<CorePinningPasswordHasher<TwoFactorUser>>(scope.ServiceProvider.GetRequiredService<IPasswordHasher<TwoFactorUser>>());

        Assert.IsType<PasswordHasher<TwoFactorUser>>(hasher.Inner);
        // On by default wherever the process may run on more than one core (its mask, not a CPU quota, decides).
        Assert.Equal(CpusOf(Mask()).Length > 1, scope.ServiceProvider.GetRequiredService<CorePinning>().Enabled);
    }
}
