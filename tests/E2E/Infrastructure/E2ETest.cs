using System.Runtime.CompilerServices;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace IdentityTwoFactor.Tests.E2E.Infrastructure;

/// <summary>
/// Base of every browser test: the shared browser, this class's site, and <see cref="RunAsync"/>, which gives each test
/// a fresh browser context (JavaScript off, per playwright.config) with tracing, saving the trace only on failure.
/// </summary>
[Collection(BrowserCollectionDefinition.Name)]
public abstract class E2ETest(BrowserFixture browser, SiteFixture site, ITestOutputHelper output) : IClassFixture<SiteFixture>
{
    public const int DesktopWidth = 1280;
    public const int DesktopHeight = 720;

    /// <summary>Set to 1 to keep the traces of passing tests too (for timing or for a look).</summary>
    public const string TraceAllVariable = "E2E_TRACE_ALL";

    protected BrowserFixture Browser { get; } = browser;
    protected SiteFixture Site { get; } = site;
    protected ITestOutputHelper Output { get; } = output;

    static E2ETest() => Assertions.SetDefaultExpectTimeout(5_000);

    /// <summary>Runs <paramref name="body"/> in a new context and page; on failure saves
    /// <c>TestResults/traces/&lt;Class&gt;.&lt;test&gt;.zip</c> (open with <c>playwright.ps1 show-trace</c> or trace.playwright.dev).</summary>
    /// <param name="variant">Tells the cases of a theory apart in the trace's file name.</param>
    protected async Task RunAsync(Func<IPage, Task> body, string? variant = null, [CallerMemberName] string test = "")
    {
        // A failure left armed by an earlier test of this class must not leak into this one.
        Site.RingCentral.ClearFailures();

        Assert.False(Browser.Settings.JavaScriptEnabled,
            $"{Browser.Settings.Source} turns JavaScript on; this suite proves the site works without it.");
        await using var context = await NewContextAsync();
        var name = $"{GetType().Name}.{test}" + (variant is null ? "" : "." + FileSafe(variant));
        await context.Tracing.StartAsync(new TracingStartOptions { Title = name, Screenshots = true, Snapshots = true, Sources = false });
        var page = await context.NewPageAsync();
        try
        {
            await body(page);
        }
        catch
        {
            Directory.CreateDirectory(RepoPaths.Traces);
            var trace = Path.Combine(RepoPaths.Traces, name + ".zip");
            try
            {
                await context.Tracing.StopAsync(new TracingStopOptions { Path = trace });
                Output.WriteLine($"Trace saved: {trace} (browser: {Browser.BrowserDescription}, site: {Site.BaseUrl})");
            }
            catch (PlaywrightException e)
            {
                Output.WriteLine($"Could not save the trace: {e.Message}");
            }

            throw;
        }

        if (Environment.GetEnvironmentVariable(TraceAllVariable) is "1" or "true")
        {
            Directory.CreateDirectory(RepoPaths.Traces);
            await context.Tracing.StopAsync(new TracingStopOptions { Path = Path.Combine(RepoPaths.Traces, name + ".passed.zip") });
        }
        else
        {
            await context.Tracing.StopAsync();
        }
    }

    /// <summary>A new browser context on this class's site, set up like the one <see cref="RunAsync"/> gives (JavaScript
    /// off, desktop viewport, en-US): a second browser of the same person, with cookies of its own. The caller disposes it.</summary>
    /// <param name="userAgent">Another browser's User-Agent (the account page names sessions by it); null keeps Chromium's.</param>
    protected async Task<IBrowserContext> NewContextAsync(string? userAgent = null)
    {
        var context = await Browser.Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = Site.BaseUrl,
            JavaScriptEnabled = Browser.Settings.JavaScriptEnabled,
            ViewportSize = new ViewportSize { Width = DesktopWidth, Height = DesktopHeight },
            Locale = "en-US",
            UserAgent = userAgent,
        });
        context.SetDefaultTimeout(10_000);
        return context;
    }

    private static string FileSafe(string text) =>
        string.Concat(text.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' ? c : '_')).Trim('_') is { Length: > 0 } safe ? safe : "root";
}
