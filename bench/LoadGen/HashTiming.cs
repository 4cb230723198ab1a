using System.Buffers.Binary;
using System.Diagnostics;
using Microsoft.AspNetCore.Identity;

namespace IdentityTwoFactor.Bench.LoadGen;

/// <summary>Times Identity's PasswordHasher on the very hash the site stored at signup (so its format, PRF and iteration
/// count are the site's own), single-threaded, in this process.</summary>
internal static class HashTiming
{
    private static readonly PasswordHasher<object> Hasher = new();
    private static readonly object User = new();

    public static string Describe(string hash)
    {
        var bytes = Convert.FromBase64String(hash);
        if (bytes.Length < 13 || bytes[0] != 0x01)
        {
            return $"unknown hash format (marker 0x{bytes.FirstOrDefault():x2})";
        }
        var prf = BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(1)) switch
        {
            0 => "HMAC-SHA1",
            1 => "HMAC-SHA256",
            2 => "HMAC-SHA512",
            var other => $"PRF {other}",
        };
        var iterations = BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(5));
        return $"Identity V3, PBKDF2-{prf}, {iterations:N0} iterations (read from the site's stored hash)";
    }

    /// <summary>Wall time of each verify, and the process CPU time per verify over the batch (this process is idle otherwise).</summary>
    public static (double[] Wall, double CpuPerVerify) VerifyMilliseconds(string hash, string password, int count)
    {
        var result = new double[count];
        using var self = System.Diagnostics.Process.GetCurrentProcess();
        var cpuBefore = self.TotalProcessorTime;
        for (var i = 0; i < count; i++)
        {
            var start = Stopwatch.GetTimestamp();
            var outcome = Hasher.VerifyHashedPassword(User, hash, password);
            result[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            if (outcome == PasswordVerificationResult.Failed)
            {
                throw new InvalidOperationException("The site's stored hash does not verify with the bench password.");
            }
        }
        self.Refresh();
        return (result, (self.TotalProcessorTime - cpuBefore).TotalMilliseconds / count);
    }

    /// <summary>Verifies per second with <paramref name="threads"/> threads verifying at once, <paramref name="perThread"/>
    /// each: what the machine's cores really hash together. On a virtual machine two vCPUs need not hash twice as
    /// fast as one (on the 2-vCPU machine here two threads reached 85-89% of twice the single-threaded rate).</summary>
    public static double ParallelVerifiesPerSecond(string hash, string password, int threads, int perThread)
    {
        using var start = new Barrier(threads + 1);
        var failed = 0;
        var workers = Enumerable.Range(0, threads).Select(_ => new Thread(() =>
        {
            start.SignalAndWait();
            for (var i = 0; i < perThread; i++)
            {
                if (Hasher.VerifyHashedPassword(User, hash, password) == PasswordVerificationResult.Failed)
                {
                    Interlocked.Increment(ref failed);
                }
            }
        })).ToList();
        workers.ForEach(w => w.Start());
        start.SignalAndWait();
        var wall = Stopwatch.StartNew();
        workers.ForEach(w => w.Join());
        var seconds = wall.Elapsed.TotalSeconds;
        return failed > 0
            ? throw new InvalidOperationException("The site's stored hash does not verify with the bench password.")
            : threads * perThread / seconds;
    }
}
