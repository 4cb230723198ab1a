using System.Diagnostics;
using System.Globalization;
using Npgsql;

namespace IdentityTwoFactor.Bench.LoadGen;

/// <summary>
/// A throwaway PostgreSQL cluster for <c>--engines</c>, started like tests/Unit/Support/PostgresServer.cs does it:
/// Debian's server binaries (/usr/lib/postgresql/*/bin, or ITF_PG_BIN), initdb as the <c>postgres</c> user when run
/// as root, a data folder under the bench's work folder, a free loopback port, trust authentication. Unlike the
/// tests' server it keeps PostgreSQL's durability defaults (fsync, synchronous_commit, full_page_writes on), as the
/// SQLite file keeps its own (WAL, synchronous FULL). Stopped (immediate) and deleted on dispose.
/// </summary>
internal sealed class PostgresCluster : IAsyncDisposable
{
    private const double TicksPerSecond = 100;
    private readonly string _bin;
    private readonly string _root;
    private readonly bool _asRoot;

    private PostgresCluster(string bin, string root, bool asRoot, int port, string version)
    {
        _bin = bin;
        _root = root;
        _asRoot = asRoot;
        Port = port;
        Version = version;
    }

    public int Port { get; }
    public string Version { get; }
    private string Data => Path.Combine(_root, "data");

    public string ConnectionString(string database) =>
        $"Host=127.0.0.1;Port={Port};Username=postgres;Database={database}";

    public static async Task<PostgresCluster> StartAsync(string parent)
    {
        var bin = FindBinaries() ?? throw new InvalidOperationException(
            "PostgreSQL server binaries were not found (looked for /usr/lib/postgresql/*/bin/initdb): apt-get install postgresql, or set ITF_PG_BIN.");
        var root = Path.Combine(parent, "pg");
        Directory.CreateDirectory(root);
        var asRoot = Environment.UserName == "root";
        if (asRoot)
        {
            // initdb refuses to run as root: the cluster belongs to the postgres user.
            Run("chown", ["postgres", root]);
        }
        var port = AppProcess.FreePort();
        var version = Run(Path.Combine(bin, "postgres"), ["--version"]).Trim();
        var cluster = new PostgresCluster(bin, root, asRoot, port, version);
        cluster.Pg("initdb", ["-D", cluster.Data, "-U", "postgres", "--auth=trust", "--no-sync", "-E", "UTF8", "--locale=C"]);
        cluster.Pg("pg_ctl", ["-D", cluster.Data, "-l", Path.Combine(root, "server.log"), "-w", "-t", "60", "-o",
            $"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c max_connections=300 -c shared_buffers=128MB", "start"]);
        await using var connection = new NpgsqlConnection(cluster.ConnectionString("postgres"));
        await connection.OpenAsync();
        return cluster;
    }

    public async Task<string> CreateDatabaseAsync(string name)
    {
        await using var connection = new NpgsqlConnection(ConnectionString("postgres"));
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = $"CREATE DATABASE {name}";
        await command.ExecuteNonQueryAsync();
        return ConnectionString(name);
    }

    /// <summary>CPU of the whole server, in seconds: the postmaster and its live children (utime+stime), plus what its
    /// exited children used (the postmaster's cutime+cstime).</summary>
    public double CpuSeconds()
    {
        try
        {
            var postmaster = int.Parse(File.ReadLines(Path.Combine(Data, "postmaster.pid")).First(), CultureInfo.InvariantCulture);
            long ticks = 0;
            foreach (var dir in Directory.EnumerateDirectories("/proc"))
            {
                if (!int.TryParse(Path.GetFileName(dir), NumberStyles.Integer, CultureInfo.InvariantCulture, out var pid))
                {
                    continue;
                }
                string stat;
                try
                {
                    stat = File.ReadAllText(Path.Combine(dir, "stat"));
                }
                catch (IOException)
                {
                    continue;
                }
                catch (UnauthorizedAccessException)
                {
                    continue;
                }
                // Fields after the command name: state(3) ppid(4) ... utime(14) stime(15) cutime(16) cstime(17).
                var f = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                var ppid = int.Parse(f[1], CultureInfo.InvariantCulture);
                if (pid == postmaster)
                {
                    ticks += long.Parse(f[11], CultureInfo.InvariantCulture) + long.Parse(f[12], CultureInfo.InvariantCulture)
                        + long.Parse(f[13], CultureInfo.InvariantCulture) + long.Parse(f[14], CultureInfo.InvariantCulture);
                }
                else if (ppid == postmaster)
                {
                    ticks += long.Parse(f[11], CultureInfo.InvariantCulture) + long.Parse(f[12], CultureInfo.InvariantCulture);
                }
            }
            return ticks / TicksPerSecond;
        }
        catch (IOException)
        {
            return double.NaN;
        }
    }

    public ValueTask DisposeAsync()
    {
        try
        {
            Pg("pg_ctl", ["-D", Data, "-m", "immediate", "stop"]);
        }
        catch (InvalidOperationException e)
        {
            Console.Error.WriteLine("bench: stopping PostgreSQL: " + e.Message);
        }
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
        }
        return ValueTask.CompletedTask;
    }

    private void Pg(string tool, string[] arguments)
    {
        var exe = Path.Combine(_bin, tool);
        if (_asRoot)
        {
            Run("runuser", ["-u", "postgres", "--", exe, .. arguments]);
        }
        else
        {
            Run(exe, arguments);
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

    private static string Run(string file, string[] arguments)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in arguments)
        {
            info.ArgumentList.Add(a);
        }
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"Could not start {file}.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromSeconds(90)))
        {
            process.Kill(entireProcessTree: true);
            throw new InvalidOperationException($"{file} {string.Join(' ', arguments)} did not finish in 90 s.");
        }
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', arguments)} failed ({process.ExitCode}): {stderr.Result}{stdout.Result}");
        }
        return stdout.Result;
    }
}
