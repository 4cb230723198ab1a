namespace IdentityTwoFactor.Tests.Unit.Support;

/// <summary>
/// The throwaway PostgreSQL server for the test run (<see cref="PostgresCluster"/>), started once per test process on
/// first use and stopped at exit. Set ITF_POSTGRES (a connection string) to use an existing server instead.
/// </summary>
public static class PostgresServer
{
    private static readonly Lazy<string> Server = new(Start, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>A connection string to a new, empty database on the test server.</summary>
    public static string NewDatabase() => PostgresCluster.NewDatabase(Server.Value);

    private static string Start()
    {
        var existing = Environment.GetEnvironmentVariable("ITF_POSTGRES");
        if (!string.IsNullOrWhiteSpace(existing))
        {
            return existing;
        }
        var cluster = PostgresCluster.Start();
        AppDomain.CurrentDomain.ProcessExit += (_, _) => cluster.Dispose();
        return cluster.AdminConnectionString;
    }
}

public enum DatabaseKind
{
    Sqlite,
    PostgreSql,
}
