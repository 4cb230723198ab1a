using IdentityTwoFactor.Tests.Unit.Support;

namespace IdentityTwoFactor.Tests.Unit.Site;

/// <summary>
/// The real process started with bad settings, as an operator would meet it: it exits non-zero before listening, with
/// one line per problem naming the setting and what it expects, and no stack trace.
/// </summary>
public sealed class StartupErrorTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    private readonly string _folder = Directory.CreateTempSubdirectory("itf-startup-").FullName;

    public void Dispose()
    {
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    [Fact]
    public async Task SeveralBadSettingsAreEachNamedOnTheirOwnLine()
    {
        var (exitCode, output) = await RunAsync(new()
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["TwoFactor__MaxTextsPerHour"] = "-3",
            ["RateLimits__PermitLimit"] = "0",
            ["ForwardedHeaders__KnownProxies"] = "10.0.0.5,10.0.0.300",
            ["ForwardedHeaders__KnownNetworks"] = "10.0.0.0/33",
            ["ForwardedHeaders__ForwardLimit"] = "0",
        });

        Assert.NotEqual(0, exitCode);
        var problems = ProblemLines(output);
        Assert.Contains(problems, l => l.Contains("TwoFactor:MaxTextsPerHour must be between 0 (off) and 1000.", StringComparison.Ordinal));
        Assert.Contains(problems, l => l.Contains("RateLimits:PermitLimit must be between", StringComparison.Ordinal));
        Assert.Contains(problems, l => l.Contains("ForwardedHeaders:KnownProxies has \"10.0.0.300\"", StringComparison.Ordinal));
        Assert.Contains(problems, l => l.Contains("ForwardedHeaders:KnownNetworks has \"10.0.0.0/33\"", StringComparison.Ordinal));
        Assert.Contains(problems, l => l.Contains("ForwardedHeaders:ForwardLimit must be a whole number", StringComparison.Ordinal));
        Assert.Contains(problems, l => l.Contains("RINGCENTRAL_CLIENT_ID", StringComparison.Ordinal));
        Assert.Equal(6, problems.Count);
        AssertNoStackTrace(output);
    }

    [Theory]
    [InlineData("TwoFactor__CodeLifetime", "soon", "TwoFactor:CodeLifetime must be a time span")]
    [InlineData("Database__MigrateAtStart", "maybe", "Database:MigrateAtStart must be true or false")]
    [InlineData("Database__Provider", "Oracle", "Database:Provider must be Sqlite or PostgreSQL.")]
    [InlineData("Database__SqliteSynchronous", "Off", "Database:SqliteSynchronous must be Normal or Full.")]
    [InlineData("TwoFactor__CodeHashKey", "not base64!", "TwoFactor:CodeHashKey must be base64")]
    [InlineData("TwoFactor__CodeHashKey", "c2hvcnQ=", "TwoFactor:CodeHashKey must decode to at least 32 bytes.")]
    [InlineData("ConnectionStrings__Site", "Data Sorce=site.db", "ConnectionStrings:Site is not a valid SQLite connection string")]
    [InlineData("RINGCENTRAL_FROM_NUMBER", "555-0100", "RINGCENTRAL_FROM_NUMBER must be an E.164 number")]
    [InlineData("Database__OpenTimeout", "00:00:00", "Database:OpenTimeout must be between 00:00:01 and 00:05:00")]
    [InlineData("Database__CommandTimeout", "01:00:00", "Database:CommandTimeout must be between 00:00:01 and 00:05:00")]
    [InlineData("Database__StartupWait", "soon", "Database:StartupWait must be a time span")]
    [InlineData("RequestTimeout", "00:00:00", "RequestTimeout must be at least 00:00:01")]
    [InlineData("Hashing__MaxConcurrent", "0", "Hashing:MaxConcurrent must be between 1 and 1024.")]
    [InlineData("Hashing__MaxQueue", "many", "Hashing:MaxQueue must be")]
    [InlineData("Hashing__MaxWait", "00:05:00", "Hashing:MaxWait must be between 00:00:00 and 00:01:00.")]
    [InlineData("Metrics__Enabled", "yes", "Metrics:Enabled must be true or false")]
    [InlineData("Metrics__AllowedNetworks", "10.0.0.0/33", "Metrics:AllowedNetworks has \"10.0.0.0/33\", which is not a network in CIDR notation")]
    public async Task ABadValueStopsStartWithOneSentenceNamingTheSetting(string variable, string value, string expected)
    {
        var environment = WithRingCentral();
        environment[variable] = value;

        var (exitCode, output) = await RunAsync(environment);

        Assert.NotEqual(0, exitCode);
        var problem = Assert.Single(ProblemLines(output));
        Assert.Contains(expected, problem, StringComparison.Ordinal);
        Assert.DoesNotContain(value, problem.Replace(expected, "", StringComparison.Ordinal), StringComparison.Ordinal);
        AssertNoStackTrace(output);
    }

    /// <summary>An address another process already listens on (or one that is not this machine's) is an operator's
    /// setting too: one line naming ASPNETCORE_URLS, not Kestrel's stack trace.</summary>
    [Fact]
    public async Task AnAddressInUseIsNamedWithoutATrace()
    {
        using var taken = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        taken.Start();
        var port = ((System.Net.IPEndPoint)taken.LocalEndpoint).Port;
        var environment = WithRingCentral();
        environment["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}";

        var (exitCode, output) = await RunAsync(environment);

        Assert.NotEqual(0, exitCode);
        var problem = Assert.Single(ProblemLines(output));
        Assert.Contains("ASPNETCORE_URLS", problem, StringComparison.Ordinal);
        Assert.Contains($"127.0.0.1:{port}", problem, StringComparison.Ordinal);
        AssertNoStackTrace(output);
    }

    /// <summary>The site waits for its database (DatabaseOutageTests); one that never answers ends the wait after
    /// Database:StartupWait with one line naming the setting.</summary>
    [Fact]
    public async Task AnUnreachableDatabaseIsNamedWithoutATrace()
    {
        var environment = WithRingCentral();
        environment["Database__Provider"] = "PostgreSQL";
        environment["ConnectionStrings__Site"] = "Host=127.0.0.1;Port=1;Database=itf;Username=itf;Password=secret-password;Timeout=3";
        environment["DataProtection__KeyEncryptionKey"] = Convert.ToBase64String(new byte[32]);
        environment["Database__StartupWait"] = "00:00:03";

        var (exitCode, output) = await RunAsync(environment);

        Assert.NotEqual(0, exitCode);
        var problem = Assert.Single(ProblemLines(output));
        Assert.StartsWith("Start-up error: ConnectionStrings:Site", problem, StringComparison.Ordinal);
        Assert.DoesNotContain("secret-password", output, StringComparison.Ordinal);
        AssertNoStackTrace(output);
    }

    [Fact]
    public async Task AKeyFileThatCannotBeCreatedIsNamed()
    {
        var environment = WithRingCentral();
        environment["TwoFactor__CodeHashKey"] = "";
        // A folder under a regular file cannot be created, whoever runs the test (root included).
        File.WriteAllText(Path.Combine(_folder, "a-file"), "");
        environment["TwoFactor__CodeHashKeyFile"] = "a-file/code-hash.key";

        var (exitCode, output) = await RunAsync(environment);

        Assert.NotEqual(0, exitCode);
        var problem = Assert.Single(ProblemLines(output));
        Assert.Contains("TwoFactor:CodeHashKeyFile (a-file/code-hash.key) could not be read or created", problem, StringComparison.Ordinal);
        AssertNoStackTrace(output);
    }

    private static Dictionary<string, string> WithRingCentral() => new()
    {
        ["ASPNETCORE_ENVIRONMENT"] = "Production",
        ["RINGCENTRAL_SERVER_URL"] = "http://127.0.0.1:1",
        ["RINGCENTRAL_CLIENT_ID"] = "id",
        ["RINGCENTRAL_CLIENT_SECRET"] = "secret",
        ["RINGCENTRAL_JWT"] = "jwt",
        ["RINGCENTRAL_FROM_NUMBER"] = "+16505550100",
        ["TwoFactor__CodeHashKey"] = Convert.ToBase64String(new byte[32]),
    };

    private Task<(int ExitCode, string Output)> RunAsync(Dictionary<string, string> environment) =>
        SiteProcess.RunUntilExitAsync(_folder, environment, Timeout);

    private static List<string> ProblemLines(string output) =>
        output.Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.StartsWith("Start-up error: ", StringComparison.Ordinal)).ToList();

    private static void AssertNoStackTrace(string output)
    {
        Assert.DoesNotContain("   at ", output, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", output, StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled", output, StringComparison.Ordinal);
    }
}
