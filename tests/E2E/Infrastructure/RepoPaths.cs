namespace IdentityTwoFactor.Tests.E2E.Infrastructure;

/// <summary>Where the repository, its settings file and the test output folders are.</summary>
public static class RepoPaths
{
    private static readonly Lazy<string> Root = new(FindRoot);

    /// <summary>The folder holding <c>IdentityTwoFactor.sln</c> (found upwards from the test binaries).</summary>
    public static string RepoRoot => Root.Value;

    /// <summary><c>playwright.config</c> at the repository root, or <c>E2E_RUNSETTINGS</c> when set.</summary>
    public static string PlaywrightConfig =>
        Environment.GetEnvironmentVariable("E2E_RUNSETTINGS") is { Length: > 0 } path ? path : Path.Combine(RepoRoot, "playwright.config");

    /// <summary><c>&lt;repo&gt;/TestResults</c> (the ResultsDirectory of playwright.config; git-ignored), or <c>E2E_RESULTS_DIR</c>.</summary>
    public static string TestResults =>
        Environment.GetEnvironmentVariable("E2E_RESULTS_DIR") is { Length: > 0 } path ? path : Path.Combine(RepoRoot, "TestResults");

    public static string Traces => Path.Combine(TestResults, "traces");

    public static string Screenshots => Path.Combine(TestResults, "screenshots");

    /// <summary>The committed README pictures.</summary>
    public static string DocsScreenshots => Path.Combine(RepoRoot, "docs", "screenshots");

    private static string FindRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "IdentityTwoFactor.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"The repository root (the folder with IdentityTwoFactor.sln) is not above {AppContext.BaseDirectory}.");
    }
}
