namespace IdentityTwoFactor;

/// <summary>A setting is missing or wrong. The message is one sentence naming the setting and what it expects; the
/// site prints it at start without a stack trace (see <see cref="StartupErrors"/>). Never put a secret value in it.</summary>
public sealed class SiteConfigurationException : InvalidOperationException
{
    public SiteConfigurationException(string message)
        : base(message)
    {
    }

    public SiteConfigurationException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public SiteConfigurationException()
    {
    }
}
