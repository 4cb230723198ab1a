using System.Collections.Concurrent;

namespace IdentityTwoFactor.Identity;

/// <summary>
/// Wakes the sign-ins of this process that wait behind a provisional lock (TwoFactorUserManager.Lockout.cs) as soon as
/// the attempt that set it is decided, instead of at their next poll. Sign-ins on other instances still see the answer
/// at their next poll of the database.
/// </summary>
internal static class ProvisionalLockSignals
{
    private static readonly ConcurrentDictionary<string, TaskCompletionSource> Waiting = new(StringComparer.Ordinal);

    /// <summary>The signal for <paramref name="userId"/>'s next decision. Take it before reading the lock, so that a
    /// decision made between the read and the wait is not missed.</summary>
    public static Task Next(string userId) =>
        Waiting.GetOrAdd(userId, static _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;

    /// <summary>The provisional lock of <paramref name="userId"/> was lifted or made final.</summary>
    public static void Decided(string userId)
    {
        if (Waiting.TryRemove(userId, out var signal))
        {
            signal.TrySetResult();
        }
    }
}
