using IdentityTwoFactor.Sms;

namespace IdentityTwoFactor.RingCentral;

/// <summary>One access token for the whole process (typed HttpClients are transient, so the token cannot live
/// in one). Renewal is single-flight: callers that wait while another renews reuse its outcome, so N concurrent
/// sends make one token request and the auth rate limit (about 5 a minute) is never hit by a stampede.</summary>
internal sealed class RingCentralTokenCache(TimeProvider timeProvider) : IDisposable
{
    private readonly SemaphoreSlim renewal = new(1, 1);
    private CachedToken? current;
    private TokenOutcome? lastFailure;
    private long generation;

    /// <summary>The cached token, or a new one from <paramref name="fetch"/> when there is none, it is due for renewal,
    /// or it is <paramref name="rejectedToken"/> (the server answered 401 to it).</summary>
    public async Task<TokenOutcome> GetAsync(
        Func<CancellationToken, Task<TokenOutcome>> fetch,
        string? rejectedToken,
        CancellationToken cancellationToken)
    {
        if (Usable(Volatile.Read(ref current), rejectedToken) is { } fast)
        {
            return TokenOutcome.Success(fast.AccessToken, fast.RenewAt);
        }

        var generationBeforeWait = Interlocked.Read(ref generation);
        await renewal.WaitAsync(cancellationToken);
        try
        {
            if (Usable(current, rejectedToken) is { } renewedByOther)
            {
                return TokenOutcome.Success(renewedByOther.AccessToken, renewedByOther.RenewAt);
            }

            // Another caller tried while we waited and failed: share its failure instead of asking again.
            if (Interlocked.Read(ref generation) != generationBeforeWait && lastFailure is { } failure)
            {
                return failure;
            }

            var outcome = await fetch(cancellationToken);
            if (outcome.AccessToken is { } token)
            {
                Volatile.Write(ref current, new CachedToken(token, outcome.RenewAt));
                lastFailure = null;
            }
            else
            {
                Volatile.Write(ref current, null);
                lastFailure = outcome;
            }

            Interlocked.Increment(ref generation);
            return outcome;
        }
        finally
        {
            renewal.Release();
        }
    }

    public void Dispose() => renewal.Dispose();

    private CachedToken? Usable(CachedToken? token, string? rejectedToken)
    {
        if (token is null || token.AccessToken == rejectedToken)
        {
            return null;
        }

        return timeProvider.GetUtcNow() < token.RenewAt ? token : null;
    }

    private sealed record CachedToken(string AccessToken, DateTimeOffset RenewAt);
}

/// <summary>Either an access token or the failure to report for the send that needed it.</summary>
/// <remarks><see cref="RenewAt"/> is the token's expiry minus the renewal margin.</remarks>
internal sealed record TokenOutcome(string? AccessToken, DateTimeOffset RenewAt, SmsSendResult? Failure)
{
    public static TokenOutcome Success(string accessToken, DateTimeOffset renewAt) => new(accessToken, renewAt, null);

    public static TokenOutcome Failed(SmsSendResult failure) => new(null, default, failure);
}
