using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace IdentityTwoFactor.Tests.Unit.Support;

/// <summary>
/// A throwaway PostgreSQL server for the test run: Debian's postgresql server binaries, a data folder in /tmp, a free
/// loopback port, trust authentication, fsync off. Started once per test process on first use and stopped at exit.
/// Set ITF_POSTGRES (a connection string) to use an existing server instead.
/// </summary>
public static class PostgresServer
{
    private static readonly Lazy<string> Server = new(Start, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>A connection string to a new, empty database on the test server.</summary>
    public static string NewDatabase()
    {
        var admin = Server.Value;
        var name = "itf_" + Guid.NewGuid().ToString("N")[..16];
        using (var connection = new NpgsqlConnection(admin))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = $"CREATE DATABASE {name}";
            command.ExecuteNonQuery();
        }
        return new NpgsqlConnectionStringBuilder(admin) { Database = name }.ConnectionString;
    }

    private static string Start()
    {
        var existing = Environment.GetEnvironmentVariable("ITF_POSTGRES");
        if (!string.IsNullOrWhiteSpace(existing))
        {
            return existing;
        }
        var bin = FindBinaries() ?? throw new InvalidOperationException(
            "PostgreSQL server binaries were not found (looked for /usr/lib/postgresql/*/bin/initdb): apt-get install postgresql, or set ITF_POSTGRES to a connection string.");
        var root = Directory.CreateTempSubdirectory("itf-pg-").FullName;
        var data = Path.Combine(root, "data");
        var asRoot = Environment.UserName == "root";
        if (asRoot)
        {
            // initdb refuses to run as root: the cluster belongs to the postgres user.
            Run("chown", $"postgres {root}");
        }
        RunPg(bin, asRoot, "initdb", $"-D {data} -U postgres --auth=trust --no-sync -E UTF8 --locale=C");
        var port = FreePort();
        RunPg(bin, asRoot, "pg_ctl",
            $"-D {data} -l {root}/server.log -w -t 60 -o \"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300\" start");
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try
            {
                RunPg(bin, asRoot, "pg_ctl", $"-D {data} -m immediate stop");
                Directory.Delete(root, recursive: true);
            }
            catch (Exception e) when (e is InvalidOperationException or IOException or UnauthorizedAccessException)
            {
                // Best effort: the folder is under /tmp.
            }
        };
        return $"Host=127.0.0.1;Port={port};Username=postgres;Database=postgres;Maximum Pool Size=50;Include Error Detail=true";
    }

    private static string? FindBinaries()
    {
        var explicitBin = Environment.GetEnvironmentVariable("ITF_PG_BIN");
        if (!string.IsNullOrEmpty(explicitBin) && File.Exists(Path.Combine(explicitBin, "initdb")))
        {
            return explicitBin;
        }
        if (!Directory.Exists("/usr/lib/postgresql"))
        {
            return null;
        }
        return Directory.GetDirectories("/usr/lib/postgresql")
            .Select(v => Path.Combine(v, "bin"))
            .Where(b => File.Exists(Path.Combine(b, "initdb")))
            .OrderByDescending(b => b, StringComparer.Ordinal)
            .FirstOrDefault();
    }

    private static void RunPg(string bin, bool asRoot, string tool, string arguments)
    {
        var exe = Path.Combine(bin, tool);
        if (asRoot)
        {
            Run("runuser", $"-u postgres -- {exe} {arguments}");
        }
        else
        {
            Run(exe, arguments);
        }
    }

    private static void Run(string file, string arguments)
    {
        using var process = Process.Start(new ProcessStartInfo(file, arguments)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        }) ?? throw new InvalidOperationException($"Could not start {file}.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromSeconds(90)))
        {
            process.Kill(entireProcessTree: true);
            throw new InvalidOperationException($"{file} {arguments} did not finish in 90 s.");
        }
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {arguments} failed ({process.ExitCode}): {stderr.Result}{stdout.Result}");
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

public enum DatabaseKind
{
    Sqlite,
    PostgreSql,
}
