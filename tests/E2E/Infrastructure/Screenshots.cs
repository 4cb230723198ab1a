using Microsoft.Playwright;

namespace IdentityTwoFactor.Tests.E2E.Infrastructure;

/// <summary>Full-page screenshots for people to look at: every page at desktop and phone width under
/// TestResults/screenshots, and the committed README pictures under docs/screenshots.</summary>
public static class Screenshots
{
    public const int PhoneWidth = 360;
    public const string UpdateVariable = "UPDATE_SCREENSHOTS";

    /// <summary>Writes <c>&lt;name&gt;.desktop.png</c> (1280 wide) and <c>&lt;name&gt;.phone.png</c> (360 wide), then restores
    /// the desktop viewport. Reflowing the same page does not re-request it, so flash messages stay on it.</summary>
    public static async Task CaptureAsync(IPage page, string name)
    {
        Directory.CreateDirectory(RepoPaths.Screenshots);
        await page.SetViewportSizeAsync(E2ETest.DesktopWidth, E2ETest.DesktopHeight);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(RepoPaths.Screenshots, name + ".desktop.png"), FullPage = true });
        await page.SetViewportSizeAsync(PhoneWidth, 740);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(RepoPaths.Screenshots, name + ".phone.png"), FullPage = true });
        await page.SetViewportSizeAsync(E2ETest.DesktopWidth, E2ETest.DesktopHeight);
    }

    /// <summary>Writes <c>docs/screenshots/&lt;name&gt;.png</c> at 1000x800, but only when it is missing or
    /// <c>UPDATE_SCREENSHOTS=1</c>: CI never rewrites the committed pictures. Returns true when written.</summary>
    public static async Task<bool> CaptureForDocsAsync(IPage page, string name)
    {
        var path = Path.Combine(RepoPaths.DocsScreenshots, name + ".png");
        var update = Environment.GetEnvironmentVariable(UpdateVariable) is "1" or "true";
        if (File.Exists(path) && !update)
        {
            return false;
        }

        Directory.CreateDirectory(RepoPaths.DocsScreenshots);
        await page.SetViewportSizeAsync(1000, 800);
        // No focus ring on the last field typed into, and the whole page from its top (at least 800 high).
        await page.Locator("main h1").ClickAsync();
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = path, FullPage = true });
        await page.SetViewportSizeAsync(E2ETest.DesktopWidth, E2ETest.DesktopHeight);
        return true;
    }

    /// <summary>Writes <c>docs/screenshots/&lt;name&gt;.1280.png</c> and <c>&lt;name&gt;.360.png</c> (whole pages, desktop and
    /// phone widths), only when missing or <c>UPDATE_SCREENSHOTS=1</c>, then restores the desktop viewport.</summary>
    public static async Task<bool> CaptureForDocsAtBothWidthsAsync(IPage page, string name)
    {
        var desktop = Path.Combine(RepoPaths.DocsScreenshots, name + ".1280.png");
        var phone = Path.Combine(RepoPaths.DocsScreenshots, name + ".360.png");
        var update = Environment.GetEnvironmentVariable(UpdateVariable) is "1" or "true";
        if (File.Exists(desktop) && File.Exists(phone) && !update)
        {
            return false;
        }

        Directory.CreateDirectory(RepoPaths.DocsScreenshots);
        await page.SetViewportSizeAsync(E2ETest.DesktopWidth, E2ETest.DesktopHeight);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = desktop, FullPage = true });
        await page.SetViewportSizeAsync(PhoneWidth, 740);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = phone, FullPage = true });
        await page.SetViewportSizeAsync(E2ETest.DesktopWidth, E2ETest.DesktopHeight);
        return true;
    }
}
