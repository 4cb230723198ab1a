using System.Reflection;
using System.Text.RegularExpressions;
using IdentityTwoFactor.Tests.Unit.Support;

namespace IdentityTwoFactor.Tests.Unit.Site;

/// <summary>The README is where operators and teams read what the site does and how to set it. A README commit once
/// dropped two thirds of it (Configuration, Security, RingCentral, Deploy, Operating, Performance) and every test
/// still passed; these tests make such a loss fail.</summary>
public sealed partial class ReadmeTests
{
    private static readonly string Readme = File.ReadAllText(Path.Combine(SiteProcess.RepoRoot, "README.md"));

    [Theory]
    [InlineData("## Two commands")]
    [InlineData("## Using it in your own Identity app")]
    [InlineData("## Configuration")]
    [InlineData("## Security")]
    [InlineData("## RingCentral")]
    [InlineData("## Running several instances")]
    [InlineData("## Deploy")]
    [InlineData("## Operating the site")]
    [InlineData("### Metrics")]
    [InlineData("### Support console")]
    [InlineData("## Performance")]
    [InlineData("## Decisions")]
    [InlineData("## Known limits")]
    public void TheReadmeHasItsSection(string heading) =>
        Assert.Contains("\n" + heading + "\n", Readme.ReplaceLineEndings("\n"), StringComparison.Ordinal);

    /// <summary>Every setting the site binds (each public settable property of a class whose <c>Section</c> constant
    /// names its configuration section) is in the README, as <c>`Section:Name`</c> or, in a row that groups several
    /// settings of one section, as <c>`:Name`</c> after <c>`Section:…`</c>.</summary>
    [Fact]
    public void EverySettingTheSiteBindsIsInTheReadme()
    {
        static IReadOnlyList<PropertyInfo> Settings(Type type) =>
            [.. type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.SetMethod?.IsPublic == true)];

        // Options classes carry their section's name; the Metrics section's is on its setup class.
        var sections = typeof(IdentityTwoFactor.Data.SiteDbContext).Assembly.GetTypes()
            .Select(t => (Type: t, Field: t.GetField("Section", BindingFlags.Public | BindingFlags.Static)))
            .Where(x => x.Field is { IsLiteral: true } && x.Field.FieldType == typeof(string) && Settings(x.Type).Count > 0)
            .Select(x => (x.Type, Section: (string)x.Field!.GetRawConstantValue()!))
            .Append((typeof(IdentityTwoFactor.Web.MetricsOptions), IdentityTwoFactor.Web.MetricsSetup.Section))
            .ToList();
        Assert.True(sections.Count >= 8, $"Only {sections.Count} options classes were found.");

        var lines = Readme.ReplaceLineEndings("\n").Split('\n');
        var missing = new List<string>();
        foreach (var (type, section) in sections)
        {
            var settings = Settings(type);
            Assert.NotEmpty(settings);
            foreach (var setting in settings)
            {
                var full = $"`{section}:{setting.Name}`";
                var grouped = $"`:{setting.Name}`";
                if (!Readme.Contains(full, StringComparison.Ordinal)
                    && !lines.Any(l => l.Contains($"`{section}:", StringComparison.Ordinal) && l.Contains(grouped, StringComparison.Ordinal)))
                {
                    missing.Add($"{section}:{setting.Name} ({type.Name})");
                }
            }
        }
        Assert.True(missing.Count == 0, "Settings the README does not describe: " + string.Join(", ", missing));
    }

    /// <summary>Every variable <c>.env.example</c> offers (set or commented out) is in the README too.</summary>
    [Fact]
    public void EveryVariableOfTheEnvExampleIsInTheReadme()
    {
        var example = File.ReadAllLines(Path.Combine(SiteProcess.RepoRoot, ".env.example"));
        var names = example.Select(l => EnvAssignment().Match(l)).Where(m => m.Success).Select(m => m.Groups[1].Value).Distinct().ToList();
        Assert.Contains("RINGCENTRAL_JWT", names);

        // Environment names use "__" where the README writes configuration keys with ":".
        var missing = names.Where(n => !Readme.Contains(n, StringComparison.Ordinal) && !Readme.Contains(n.Replace("__", ":", StringComparison.Ordinal), StringComparison.Ordinal)).ToList();
        Assert.True(missing.Count == 0, "Variables of .env.example the README does not describe: " + string.Join(", ", missing));
    }

    [GeneratedRegex(@"^#?\s*([A-Za-z][A-Za-z0-9_]*)=")]
    private static partial Regex EnvAssignment();
}
