using Microsoft.Playwright;

namespace IdentityTwoFactor.Tests.E2E.Infrastructure;

/// <summary>One Playwright driver and one Chromium for the whole run (an xunit collection fixture).</summary>
/// <remarks>
/// The browser is the first that launches of: <c>PLAYWRIGHT_CHROMIUM_EXECUTABLE</c>, <c>ExecutablePath</c> in
/// playwright.config, Debian's <c>/usr/lib/chromium/chromium-headless-shell</c> (headless only) and
/// <c>/usr/lib/chromium/chromium</c>, then Playwright's own downloaded browser.
/// </remarks>
public sealed class BrowserFixture : IAsyncLifetime
{
    public const string NoBrowserMessage =
        "No Chromium found: run `apt-get install -y chromium chromium-headless-shell` (Debian) or " +
        "`pwsh tests/E2E/bin/Debug/net10.0/playwright.ps1 install chromium`, or set PLAYWRIGHT_CHROMIUM_EXECUTABLE.";

    private IPlaywright? _playwright;
    private IBrowser? _browser;

    public PlaywrightSettings Settings { get; } = PlaywrightSettings.Load();

    public IBrowser Browser => _browser ?? throw new InvalidOperationException("The browser fixture is not initialised.");

    /// <summary>The executable that launched, or "Playwright's own browser".</summary>
    public string BrowserDescription { get; private set; } = "";

    public async Task InitializeAsync()
    {
        if (!string.Equals(Settings.BrowserName, "chromium", StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidOperationException($"{Settings.Source}: BrowserName {Settings.BrowserName} is not supported by this suite; use chromium.");
        }

        _playwright = await Playwright.CreateAsync();
        var failures = new List<string>();
        foreach (var candidate in Candidates())
        {
            if (candidate is not null && !File.Exists(candidate))
            {
                failures.Add($"{candidate}: not found");
                continue;
            }

            try
            {
                _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
                {
                    ExecutablePath = candidate,
                    Headless = Settings.Headless,
                    Args = Settings.Args,
                    Timeout = 30_000,
                });
                BrowserDescription = candidate ?? "Playwright's own browser";
                return;
            }
            catch (PlaywrightException e)
            {
                failures.Add($"{candidate ?? "Playwright's own browser"}: {FirstLine(e.Message)}");
            }
        }

        _playwright.Dispose();
        _playwright = null;
        throw new InvalidOperationException(NoBrowserMessage + Environment.NewLine + "Tried: " + string.Join("; ", failures));
    }

    /// <summary>Paths to try in order; null means Playwright's own installed browser.</summary>
    private IEnumerable<string?> Candidates()
    {
        var explicitPath = Environment.GetEnvironmentVariable(PlaywrightSettings.ExecutableVariable);
        if (!string.IsNullOrWhiteSpace(explicitPath))
        {
            // An explicit choice is the only choice: falling back would hide a typo.
            yield return explicitPath;
            yield break;
        }

        if (Settings.ExecutablePath is { } configured)
        {
            yield return configured;
            yield break;
        }

        if (Settings.Headless)
        {
            yield return "/usr/lib/chromium/chromium-headless-shell";
        }

        yield return "/usr/lib/chromium/chromium";
        yield return null;
    }

    public async Task DisposeAsync()
    {
        if (_browser is not null)
        {
            await _browser.DisposeAsync();
        }

        _playwright?.Dispose();
    }

    private static string FirstLine(string message) => message.Split('\n', 2)[0].Trim();
}

[CollectionDefinition(Name)]
public sealed class BrowserCollectionDefinition : ICollectionFixture<BrowserFixture>
{
    public const string Name = "Browser";
}
