namespace IdentityTwoFactor.FakeRingCentral;

/// <summary>How the fake answers an SMS request instead of accepting it. Use with
/// <see cref="FakeRingCentralServer.FailNextSms"/> or <see cref="FakeRingCentralServer.FailAllSms"/>.</summary>
public sealed record FakeFailure
{
    private FakeFailure(FakeFailureKind kind) => Kind = kind;

    public FakeFailureKind Kind { get; }
    public int? RetryAfterSeconds { get; private init; }
    public TimeSpan Delay { get; private init; }

    /// <summary>429 MSG-305 with <c>Retry-After: seconds</c>.</summary>
    public static FakeFailure RateLimited(int retryAfterSeconds) => new(FakeFailureKind.RateLimited) { RetryAfterSeconds = retryAfterSeconds };

    /// <summary>429 CMN-301 without a Retry-After header.</summary>
    public static FakeFailure RateLimitedWithoutRetryAfter { get; } = new(FakeFailureKind.RateLimited);

    /// <summary>500 CMN-102 style body; the message is still recorded as sent (a 5xx does not prove it was not).</summary>
    public static FakeFailure ServerError { get; } = new(FakeFailureKind.ServerError);

    /// <summary>Waits <paramref name="delay"/>, then accepts the message as usual (a slow provider, not a failing one).</summary>
    public static FakeFailure Slow(TimeSpan delay) => new(FakeFailureKind.Slow) { Delay = delay };

    /// <summary>200 with <c>messageStatus: SendingFailed</c>; nothing is recorded.</summary>
    public static FakeFailure SendingFailed { get; } = new(FakeFailureKind.SendingFailed);

    /// <summary>400 MSG-243: the recipient blocked this number (replied STOP).</summary>
    public static FakeFailure BlockedNumber { get; } = new(FakeFailureKind.BlockedNumber);

    /// <summary>401 CMN-405 whatever the token.</summary>
    public static FakeFailure Unauthorized { get; } = new(FakeFailureKind.Unauthorized);
}

public enum FakeFailureKind
{
    RateLimited,
    ServerError,
    Slow,
    SendingFailed,
    BlockedNumber,
    Unauthorized,
}

/// <summary>One text the fake accepted.</summary>
public sealed record FakeSms(string Id, string To, string From, string Text, DateTimeOffset ReceivedAt);
