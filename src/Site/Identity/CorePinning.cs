using System.Runtime.InteropServices;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;

namespace IdentityTwoFactor.Identity;

/// <summary>
/// Runs each password hash on a core no other hash is using (Linux only; <see cref="HashingOptions.PinToCores"/>).
/// </summary>
/// <remarks>
/// With as many hash slots as cores, Linux's scheduler often stacks two hashing threads on one core (one of them
/// preempted by a short request) while the other core idles: it does not move a thread that ran a moment ago ("cache
/// hot") until a later balancing pass. <c>perf sched</c> during a 64-client flood on 2 cores: a core's worth idle about
/// a tenth of the time, and in 58 % of that idle a site thread was waiting on the other core. Pinning the thread to a
/// free core for the length of the hash, and giving it its old affinity back after, keeps both cores hashing (decision
/// 0016).
/// At most one hash is pinned to a core at a time; a hash that finds every allowed core taken runs unpinned, as does
/// every hash when the process may use a single core, on other systems, or after a failed affinity call.
/// </remarks>
public sealed class CorePinning
{
    private const int MaskWords = 16; // cpu_set_t: 1,024 CPUs

    private readonly int[] _cpus = [];
    private readonly int[] _taken = [];
    private volatile bool _enabled;

    public CorePinning(IOptions<HashingOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!options.Value.PinToCores || !OperatingSystem.IsLinux())
        {
            return;
        }
        var mask = new ulong[MaskWords];
        if (!TryGetAffinity(mask))
        {
            return;
        }
        _cpus = CpusIn(mask);
        _taken = new int[_cpus.Length];
        _enabled = _cpus.Length > 1;
    }

    /// <summary>Whether hashes are pinned (Linux, the setting on, more than one core allowed, no affinity call failed).</summary>
    public bool Enabled => _enabled;

    /// <summary>The cores this process may run on, as read at start (the ones hashes are pinned to).</summary>
    public IReadOnlyList<int> Cpus() => _cpus;

    /// <summary>Pins the calling thread to a free allowed core until the lease is disposed; a default lease when pinning
    /// is off or no core is free.</summary>
    public Lease Enter()
    {
        if (!_enabled)
        {
            return default;
        }
        var start = Math.Max(0, Array.IndexOf(_cpus, CurrentCpu()));
        for (var i = 0; i < _cpus.Length; i++)
        {
            var slot = (start + i) % _cpus.Length;
            if (Interlocked.CompareExchange(ref _taken[slot], 1, 0) != 0)
            {
                continue;
            }
            var previous = new ulong[MaskWords];
            var pinned = new ulong[MaskWords];
            pinned[_cpus[slot] / 64] = 1UL << (_cpus[slot] % 64);
            if (TryGetAffinity(previous) && TrySetAffinity(pinned))
            {
                return new Lease(this, slot, previous);
            }
            // Not allowed here (seccomp, a changed cpuset): stop trying; the thread keeps whatever it had.
            _enabled = false;
            Volatile.Write(ref _taken[slot], 0);
            return default;
        }
        return default;
    }

    private void Leave(int slot, ulong[] previous)
    {
        if (!TrySetAffinity(previous))
        {
            _enabled = false;
        }
        Volatile.Write(ref _taken[slot], 0);
    }

    /// <summary>A pinned stretch of the calling thread; disposing it gives the thread its old affinity back.</summary>
    public readonly struct Lease : IDisposable
    {
        private readonly CorePinning? _owner;
        private readonly int _slot;
        private readonly ulong[]? _previous;

        internal Lease(CorePinning owner, int slot, ulong[] previous) => (_owner, _slot, _previous) = (owner, slot, previous);

        /// <summary>The core the thread is pinned to, or -1 when it is not pinned.</summary>
        public int Cpu => _owner is null ? -1 : _owner._cpus[_slot];

        public void Dispose() => _owner?.Leave(_slot, _previous!);
    }

    private static int[] CpusIn(ulong[] mask)
    {
        var cpus = new List<int>();
        for (var word = 0; word < mask.Length; word++)
        {
            for (var bit = 0; bit < 64; bit++)
            {
                if ((mask[word] & (1UL << bit)) != 0)
                {
                    cpus.Add(word * 64 + bit);
                }
            }
        }
        return [.. cpus];
    }

    /// <summary>The calling thread's affinity mask (Linux).</summary>
    public static bool TryGetAffinity(ulong[] mask)
    {
        ArgumentNullException.ThrowIfNull(mask);
        try
        {
            return SchedGetAffinity(0, (nuint)(mask.Length * sizeof(ulong)), mask) == 0;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }
    }

    private static bool TrySetAffinity(ulong[] mask)
    {
        try
        {
            return SchedSetAffinity(0, (nuint)(mask.Length * sizeof(ulong)), mask) == 0;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }
    }

    private static int CurrentCpu()
    {
        try
        {
            return SchedGetCpu();
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return -1;
        }
    }

    // pid 0: the calling thread. glibc's wrappers answer 0 on success, -1 with errno on failure. DllImport rather than
    // LibraryImport: the arrays are blittable (pinned, no copy either way) and the project needs no unsafe code for it.
    [DllImport("libc", EntryPoint = "sched_getaffinity", SetLastError = true)]
    private static extern int SchedGetAffinity(int pid, nuint size, [Out] ulong[] mask);

    [DllImport("libc", EntryPoint = "sched_setaffinity", SetLastError = true)]
    private static extern int SchedSetAffinity(int pid, nuint size, [In] ulong[] mask);

    [DllImport("libc", EntryPoint = "sched_getcpu")]
    private static extern int SchedGetCpu();
}

/// <summary>Wraps the app's password hasher so each hash runs pinned by <see cref="CorePinning"/>. Registered by
/// <c>AddSmsTwoFactor</c> around whatever hasher was registered before it.</summary>
public sealed class CorePinningPasswordHasher<TUser>(IPasswordHasher<TUser> inner, CorePinning pinning) : IPasswordHasher<TUser>
    where TUser : class
{
    /// <summary>The hasher that does the work.</summary>
    public IPasswordHasher<TUser> Inner { get; } = inner ?? throw new ArgumentNullException(nameof(inner));

    public string HashPassword(TUser user, string password)
    {
        using var _ = pinning.Enter();
        return Inner.HashPassword(user, password);
    }

    public PasswordVerificationResult VerifyHashedPassword(TUser user, string hashedPassword, string providedPassword)
    {
        using var _ = pinning.Enter();
        return Inner.VerifyHashedPassword(user, hashedPassword, providedPassword);
    }
}
