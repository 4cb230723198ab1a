using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Deque.AxeCore.Commons;
using Deque.AxeCore.Playwright;
using IdentityTwoFactor.Tests.E2E.Stories;
using Microsoft.Playwright;

namespace IdentityTwoFactor.Tests.E2E.Infrastructure;

/// <summary>
/// Runs axe-core (WCAG 2.0/2.1 A and AA rules) on page states reached in the suite's JavaScript-off browser, at 1280 and
/// 360 px, and collects every violation of impact serious or critical.
/// </summary>
/// <remarks>
/// The state is reached with JavaScript off, as everywhere in this suite; its HTML and URL are then taken into a context of
/// the audit's own with JavaScript on, only so that axe can be injected. There the HTML is served at the same URL (a route
/// answers the document request with the captured HTML; the stylesheet and everything else still come from the site), so
/// relative links resolve and the page looks exactly as it did. The captured HTML is also checked for script: no
/// <c>&lt;script&gt;</c> element and no <c>on*=</c> event-handler attribute.
/// </remarks>
public sealed class AxeAudit : IAsyncDisposable
{
    public static readonly int[] Widths = [E2ETest.DesktopWidth, Screenshots.PhoneWidth];

    /// <summary>The WCAG 2 A and AA rule tags of axe-core.</summary>
    public static readonly string[] Tags = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"];

    private static readonly string[] Blocking = ["serious", "critical"];

    /// <summary>Every element's attribute names that start with "on", and the number of script elements.</summary>
    private const string FindScript = """
        () => ({
            scripts: document.querySelectorAll('script').length,
            handlers: [...document.querySelectorAll('*')].flatMap(e => [...e.attributes]
                .filter(a => a.name.toLowerCase().startsWith('on'))
                .map(a => e.tagName.toLowerCase() + '[' + a.name + ']'))
        })
        """;

    /// <summary>The page's first heading, and its stylesheets (a sheet that failed to load has no rules).</summary>
    private const string Loaded = """
        () => ({
            h1: document.querySelector('h1')?.textContent?.trim() ?? '',
            sheets: document.styleSheets.length,
            empty: [...document.styleSheets].filter(s => s.cssRules.length === 0).length
        })
        """;

    private readonly IBrowserContext _context;
    private readonly IPage _page;
    private readonly List<string> _failures = [];
    private readonly List<string> _notes = [];
    private readonly HashSet<AuditedState> _audited = [];
    private readonly Stopwatch _elapsed = new();
    private string _html = "";

    private AxeAudit(IBrowserContext context, IPage page)
    {
        _context = context;
        _page = page;
    }

    /// <summary>The states checked so far.</summary>
    public IReadOnlyCollection<AuditedState> Audited => _audited;

    /// <summary>Time spent in the audit's own browser context (loading the captured pages and running axe).</summary>
    public TimeSpan Elapsed => _elapsed.Elapsed;

    /// <summary>Opens the audit's context on <paramref name="browser"/>, its page's base URL <paramref name="baseUrl"/>.</summary>
    public static async Task<AxeAudit> StartAsync(IBrowser browser, string baseUrl)
    {
        var context = await browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = baseUrl,
            // Only here, only to inject axe: the captured pages themselves hold no script (checked before each audit).
            JavaScriptEnabled = true,
            ViewportSize = new ViewportSize { Width = E2ETest.DesktopWidth, Height = E2ETest.DesktopHeight },
            Locale = "en-US",
        });
        context.SetDefaultTimeout(15_000);
        var audit = new AxeAudit(context, await context.NewPageAsync());
        await context.RouteAsync("**/*", audit.ServeCapturedDocumentAsync);
        return audit;
    }

    private async Task ServeCapturedDocumentAsync(IRoute route)
    {
        if (route.Request.IsNavigationRequest)
        {
            await route.FulfillAsync(new RouteFulfillOptions { Status = 200, ContentType = "text/html; charset=utf-8", Body = _html });
        }
        else
        {
            await route.ContinueAsync();
        }
    }

    /// <summary>Audits the page <paramref name="source"/> shows now (reached with JavaScript off), as <paramref name="state"/>.</summary>
    public async Task CheckAsync(IPage source, AuditedState state)
    {
        var html = await source.ContentAsync();
        var script = await source.EvaluateAsync<JsonElement>(FindScript);
        var handlers = script.GetProperty("handlers").EnumerateArray().Select(h => h.GetString()).ToList();
        if (script.GetProperty("scripts").GetInt32() > 0 || handlers.Count > 0 || html.Contains("<script", StringComparison.OrdinalIgnoreCase))
        {
            _failures.Add($"{state}: the page holds script ({script.GetProperty("scripts").GetInt32()} <script>, handlers: {string.Join(", ", handlers)}).");
        }

        await CheckHtmlAsync(source.Url, html, state);
    }

    /// <summary>Audits <paramref name="html"/> as if served at <paramref name="url"/> (the pages written without Razor).</summary>
    public async Task CheckHtmlAsync(string url, string html, AuditedState state)
    {
        Assert.True(_audited.Add(state), $"{state} was audited twice.");
        if (html.Contains("<script", StringComparison.OrdinalIgnoreCase) || Regex.IsMatch(html, @"<[^>]*\son[a-z]+\s*=", RegexOptions.IgnoreCase))
        {
            _failures.Add($"{state}: the HTML holds a <script> or an on*= attribute.");
        }

        _elapsed.Start();
        try
        {
            _html = html;
            var withoutFragment = url.Split('#', 2)[0];
            // A fresh navigation even when two states share a URL (the route answers it with the new HTML).
            await _page.GotoAsync("about:blank");
            await _page.GotoAsync(withoutFragment, new PageGotoOptions { WaitUntil = WaitUntilState.Load });
            // axe on a blank page or an unstyled one would pass for the wrong reason.
            var loaded = await _page.EvaluateAsync<JsonElement>(Loaded);
            Assert.True(loaded.GetProperty("h1").GetString() is { Length: > 0 }, $"{state}: the audited page has no heading; the captured HTML did not arrive.");
            Assert.True(loaded.GetProperty("sheets").GetInt32() > 0 && loaded.GetProperty("empty").GetInt32() == 0,
                $"{state}: the site's stylesheet did not load in the audit's context ({loaded}).");
            foreach (var width in Widths)
            {
                await _page.SetViewportSizeAsync(width, E2ETest.DesktopHeight);
                var result = await _page.RunAxe(new AxeRunOptions
                {
                    RunOnly = new RunOnlyOptions { Type = "tag", Values = [.. Tags] },
                });
                foreach (var violation in result.Violations)
                {
                    (Blocking.Contains(violation.Impact) ? _failures : _notes).Add(Describe(state, width, violation));
                }
            }
        }
        finally
        {
            _elapsed.Stop();
        }
    }

    private static string Describe(AuditedState state, int width, AxeResultItem violation)
    {
        var text = new StringBuilder();
        text.Append(state).Append(" at ").Append(width).Append(" px: ").Append(violation.Id).Append(" (").Append(violation.Impact)
            .Append(") ").Append(violation.Help).Append(' ').Append(violation.HelpUrl);
        foreach (var node in violation.Nodes.Take(5))
        {
            text.AppendLine().Append("    ").Append(node.Target?.ToString()).Append("  ").Append(Shorten(node.Html));
        }

        return text.ToString();
    }

    private static string Shorten(string? html)
    {
        var text = (html ?? "").ReplaceLineEndings(" ");
        return text.Length <= 160 ? text : text[..160] + "...";
    }

    /// <summary>Fails, listing every violation and script found so far.</summary>
    public void ExpectNoViolations()
    {
        Assert.True(_failures.Count == 0, $"{_failures.Count} accessibility failures (serious or critical):" + Environment.NewLine +
            string.Join(Environment.NewLine, _failures));
    }

    /// <summary>Fails unless every catalog line of <paramref name="story"/> was audited (and no violation was found).</summary>
    public void ExpectAuditedAll(AuditStory story)
    {
        ExpectNoViolations();
        var missing = AuditCatalog.All.Where(s => s.Story == story && !_audited.Contains(s)).ToList();
        Assert.True(missing.Count == 0, $"Catalog states of {story} that its test did not audit: " + string.Join(", ", missing));
    }

    /// <summary>Violations of impact moderate or minor: reported in the test output, not failed on.</summary>
    public IReadOnlyList<string> Notes => _notes;

    /// <summary>The failures so far (for the audit's own test, which shows that it finds what it should).</summary>
    public IReadOnlyList<string> Failures => _failures;

    public async ValueTask DisposeAsync() => await _context.DisposeAsync();
}
