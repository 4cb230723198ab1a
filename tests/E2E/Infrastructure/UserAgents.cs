namespace IdentityTwoFactor.Tests.E2E.Infrastructure;

/// <summary>Other browsers' User-Agent headers, for contexts that must show up as a different browser on the account page
/// (Chromium's own shows as "Chrome on Linux").</summary>
public static class UserAgents
{
    public const string ChromiumName = "Chrome on Linux";

    public const string FirefoxOnAndroid = "Mozilla/5.0 (Android 14; Mobile; rv:128.0) Gecko/128.0 Firefox/128.0";
    public const string FirefoxOnAndroidName = "Firefox on Android";

    public const string EdgeOnWindows =
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.2903.86";
    public const string EdgeOnWindowsName = "Edge on Windows";

    public const string SafariOnIPhone =
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1";
    public const string SafariOnIPhoneName = "Safari on iPhone";
}
