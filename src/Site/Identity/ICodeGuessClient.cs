namespace IdentityTwoFactor.Identity;

/// <summary>
/// Tells who is entering a code, so that a stranger's wrong guess burns the code only for that stranger. Without one
/// registered (or outside a request) every wrong guess burns the code for everyone, the tutorial's rule as it was.
/// </summary>
public interface ICodeGuessClient
{
    /// <summary>A stable, opaque key (at most 64 characters) for the client of the current request; null when unknown.</summary>
    string? CurrentClientKey();
}
