using System.Globalization;
using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace IdentityTwoFactor.Tests.E2E.Infrastructure;

/// <summary>
/// The <c>&lt;Playwright&gt;</c> section of <c>playwright.config</c> (RunSettings), read by the suite itself:
/// Microsoft.Playwright alone has no settings provider (that is Microsoft.Playwright.TestAdapter, which is for
/// NUnit/MSTest), so the fixtures read the same file the way that provider does.
/// </summary>
public sealed partial record PlaywrightSettings
{
    public const string ExecutableVariable = "PLAYWRIGHT_CHROMIUM_EXECUTABLE";

    public string BrowserName { get; init; } = "chromium";
    public bool Headless { get; init; } = true;
    public string? ExecutablePath { get; init; }
    public IReadOnlyList<string> Args { get; init; } = [];

    /// <summary>False unless the settings say otherwise: the site must work without JavaScript.</summary>
    public bool JavaScriptEnabled { get; init; }

    /// <summary>Where the settings came from (for messages).</summary>
    public string Source { get; init; } = "defaults";

    public static PlaywrightSettings Load() => Load(RepoPaths.PlaywrightConfig);

    public static PlaywrightSettings Load(string path)
    {
        if (!File.Exists(path))
        {
            return new PlaywrightSettings();
        }

        var section = XDocument.Load(path).Root?.Element("Playwright");
        if (section is null)
        {
            return new PlaywrightSettings { Source = path };
        }

        var launch = section.Element("LaunchOptions");
        var context = section.Element("ContextOptions");
        return new PlaywrightSettings
        {
            Source = path,
            BrowserName = Text(section.Element("BrowserName")) ?? "chromium",
            Headless = Bool(launch?.Element("Headless")) ?? true,
            ExecutablePath = Text(launch?.Element("ExecutablePath")),
            Args = Text(launch?.Element("Args")) is { } args ? ParseArgs(args) : [],
            JavaScriptEnabled = Bool(context?.Element("JavaScriptEnabled")) ?? false,
        };
    }

    /// <summary><c>['--a', '--b']</c> (the Playwright runsettings form) or a plain comma/space separated list.</summary>
    internal static IReadOnlyList<string> ParseArgs(string value)
    {
        var quoted = Quoted().Matches(value).Select(m => m.Groups["v"].Value).ToList();
        if (quoted.Count > 0)
        {
            return quoted;
        }

        return value.Trim('[', ']').Split([',', ' ', '\n', '\t'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
    }

    private static string? Text(XElement? element) => element?.Value.Trim() is { Length: > 0 } value ? value : null;

    private static bool? Bool(XElement? element) =>
        Text(element) is { } value ? bool.Parse(value.ToLower(CultureInfo.InvariantCulture)) : null;

    [GeneratedRegex("""['"](?<v>[^'"]*)['"]""")]
    private static partial Regex Quoted();
}
