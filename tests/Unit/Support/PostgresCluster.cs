using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace IdentityTwoFactor.Tests.Unit.Support;

/// <summary>
/// One throwaway PostgreSQL cluster: Debian's postgresql server binaries, a data folder in /tmp, a free loopback port,
/// trust authentication, fsync off. The shared test server (<see cref="PostgresServer"/>) is one; the outage tests start
/// their own, to stop, pause and restart it.
/// </summary>
public sealed class PostgresCluster : IDisposable
{
    private readonly string _bin;
    private readonly bool _asRoot = Environment.UserName == "root";
    private readonly string _root;
    private readonly string _data;

    private PostgresCluster(string bin, string root, int port)
    {
        _bin = bin;
        _root = root;
        _data = Path.Combine(root, "data");
        Port = port;
    }

    public int Port { get; }

    /// <summary>The superuser's connection string to the <c>postgres</c> database.</summary>
    public string AdminConnectionString =>
        $"Host=127.0.0.1;Port={Port};Username=postgres;Database=postgres;Maximum Pool Size=50;Include Error Detail=true";

    /// <summary>Creates and starts a cluster (<c>initdb</c>, <c>pg_ctl start</c>).</summary>
    public static PostgresCluster Start(int maxConnections = 300)
    {
        var bin = FindBinaries() ?? throw new InvalidOperationException(
            "PostgreSQL server binaries were not found (looked for /usr/lib/postgresql/*/bin/initdb): apt-get install postgresql, or set ITF_POSTGRES to a connection string.");
        var root = Directory.CreateTempSubdirectory("itf-pg-").FullName;
        var asRoot = Environment.UserName == "root";
        if (asRoot)
        {
            // initdb refuses to run as root: the cluster belongs to the postgres user.
            Tools.Run("chown", $"postgres {root}");
        }
        var data = Path.Combine(root, "data");
        RunPg(bin, asRoot, "initdb", $"-D {data} -U postgres --auth=trust --no-sync -E UTF8 --locale=C");
        File.AppendAllText(Path.Combine(data, "postgresql.conf"),
            $"\nunix_socket_directories = '{root}'\nlisten_addresses = '127.0.0.1'\nfsync = off\n" +
            $"synchronous_commit = off\nfull_page_writes = off\nmax_connections = {maxConnections.ToString(CultureInfo.InvariantCulture)}\n");
        // A free port can be taken by another process (parallel tests start sites and servers) before the server binds
        // it: then another port, up to three times. The last "port =" line of the file wins.
        for (var attempt = 1; ; attempt++)
        {
            var cluster = new PostgresCluster(bin, root, Tools.FreePort());
            File.AppendAllText(Path.Combine(data, "postgresql.conf"), $"port = {cluster.Port}\n");
            try
            {
                cluster.StartServer();
                return cluster;
            }
            catch (InvalidOperationException) when (attempt < 3
                && File.Exists(Path.Combine(root, "server.log"))
                && File.ReadAllText(Path.Combine(root, "server.log")).Contains("could not create any TCP/IP sockets", StringComparison.Ordinal))
            {
            }
        }
    }

    /// <summary>A connection string to a new, empty database.</summary>
    public string NewDatabase() => NewDatabase(AdminConnectionString);

    /// <summary>A connection string to a new, empty database on the server <paramref name="adminConnectionString"/> reaches.</summary>
    public static string NewDatabase(string adminConnectionString)
    {
        var name = "itf_" + Guid.NewGuid().ToString("N")[..16];
        using (var connection = new NpgsqlConnection(adminConnectionString))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = $"CREATE DATABASE {name}";
            command.ExecuteNonQuery();
        }
        return new NpgsqlConnectionStringBuilder(adminConnectionString) { Database = name }.ConnectionString;
    }

    public void StartServer() => RunPg("pg_ctl", $"-D {_data} -l {_root}/server.log -w -t 60 start");

    /// <summary>A clean shutdown (<c>-m fast</c>): open connections are told 57P01 and closed.</summary>
    public void Stop() => RunPg("pg_ctl", $"-D {_data} -m fast -w -t 60 stop");

    /// <summary>Stops and starts again, as an operator's restart does.</summary>
    public void Restart()
    {
        Stop();
        StartServer();
    }

    /// <summary>SIGSTOP to the postmaster and every server process: connections stay open and nothing answers, as with a
    /// hung or network-partitioned server.</summary>
    public void Pause() => Signal("STOP");

    /// <summary>SIGCONT to the same processes.</summary>
    public void Resume() => Signal("CONT");

    private void Signal(string signal)
    {
        var postmaster = int.Parse(File.ReadLines(Path.Combine(_data, "postmaster.pid")).First(), CultureInfo.InvariantCulture);
        var pids = new List<int> { postmaster };
        foreach (var stat in Directory.EnumerateDirectories("/proc").Select(d => Path.Combine(d, "stat")))
        {
            try
            {
                // pid (comm) state ppid ...: the parent is the 2nd field after the closing parenthesis.
                var text = File.ReadAllText(stat);
                var fields = text[(text.LastIndexOf(')') + 2)..].Split(' ');
                if (int.Parse(fields[1], CultureInfo.InvariantCulture) == postmaster)
                {
                    pids.Add(int.Parse(text[..text.IndexOf(' ')], CultureInfo.InvariantCulture));
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
            {
                // A process that ended meanwhile.
            }
        }
        Tools.Run("kill", $"-{signal} {string.Join(' ', pids)}");
    }

    public void Dispose()
    {
        try
        {
            Signal("CONT");
        }
        catch (Exception e) when (e is InvalidOperationException or IOException)
        {
            // Not running.
        }
        try
        {
            RunPg("pg_ctl", $"-D {_data} -m immediate stop");
        }
        catch (InvalidOperationException)
        {
            // Already stopped.
        }
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Best effort: the folder is under /tmp.
        }
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

    private void RunPg(string tool, string arguments) => RunPg(_bin, _asRoot, tool, arguments);

    private static void RunPg(string bin, bool asRoot, string tool, string arguments)
    {
        var exe = Path.Combine(bin, tool);
        if (asRoot)
        {
            Tools.Run("runuser", $"-u postgres -- {exe} {arguments}");
        }
        else
        {
            Tools.Run(exe, arguments);
        }
    }
}
