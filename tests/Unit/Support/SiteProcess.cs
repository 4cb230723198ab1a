using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace IdentityTwoFactor.Tests.Unit.Support;

/// <summary>
/// The built site as a real child process (<c>dotnet IdentityTwoFactor.Site.dll</c> on Kestrel), Development environment
/// (the development SMS outbox, cookies not Secure so plain http works), on a SQLite file in <see cref="Folder"/>.
/// </summary>
public sealed class SiteProcess : IDisposable
{
    private const int OutputLines = 50_000;
    private readonly Process _process;
    private readonly Queue<string> _output = new();

    private SiteProcess(Process process, Uri baseAddress)
    {
        _process = process;
        BaseAddress = baseAddress;
    }

    public Uri BaseAddress { get; }

    public int ProcessId => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>The folder holding <c>IdentityTwoFactor.sln</c>.</summary>
    public static string RepoRoot { get; } = FindRepoRoot();

    /// <summary>The site's build output for the configuration this test assembly was built with.</summary>
    public static string SiteDll
    {
        get
        {
            var configuration = AppContext.BaseDirectory.Replace('\\', '/').Contains("/bin/Release/", StringComparison.Ordinal) ? "Release" : "Debug";
            return Path.Combine(RepoRoot, "src", "Site", "bin", configuration, "net10.0", "IdentityTwoFactor.Site.dll");
        }
    }

    /// <summary>The last lines the process wrote to stdout and stderr.</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return string.Join('\n', _output);
            }
        }
    }

    /// <summary>Starts the site on a free port with <paramref name="folder"/> as content root and waits until GET /about answers 200.</summary>
    /// <param name="environment">Extra environment variables, applied last (for example a PostgreSQL connection string).</param>
    public static Task<SiteProcess> StartAsync(string folder, string databasePath, string codeHashKey, TimeSpan? readyTimeout = null,
        IReadOnlyDictionary<string, string>? environment = null, params string[] arguments) =>
        StartFromAsync(SiteDll, folder, databasePath, codeHashKey, readyTimeout, environment, arguments);

    /// <summary>As <see cref="StartAsync"/>, from another build of the site (for example the published one).</summary>
    public static Task<SiteProcess> StartFromAsync(string dll, string folder, string databasePath, string codeHashKey, TimeSpan? readyTimeout = null,
        IReadOnlyDictionary<string, string>? environment = null, params string[] arguments) =>
        LaunchAsync(dll, folder, databasePath, codeHashKey, readyTimeout, environment, arguments, "/about");

    /// <summary>As <see cref="StartAsync"/>, but waits only until the process answers GET /healthz (a site whose database
    /// is not there yet).</summary>
    public static Task<SiteProcess> StartLiveAsync(string folder, string databasePath, string codeHashKey, IReadOnlyDictionary<string, string> environment) =>
        LaunchAsync(SiteDll, folder, databasePath, codeHashKey, null, environment, [], "/healthz");

    private static async Task<SiteProcess> LaunchAsync(string dll, string folder, string databasePath, string codeHashKey, TimeSpan? readyTimeout,
        IReadOnlyDictionary<string, string>? environment, string[] arguments, string readyPath)
    {
        var port = Tools.FreePort();
        var start = CreateStartInfo(dll, folder, databasePath, codeHashKey, port, environment, arguments);
        var process = new Process { StartInfo = start };
        var site = new SiteProcess(process, new Uri($"http://127.0.0.1:{port}"));
        process.OutputDataReceived += (_, e) => site.Append(e.Data);
        process.ErrorDataReceived += (_, e) => site.Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (arguments.Contains("--migrate-only"))
        {
            // A one-shot run: wait for it to finish instead of for a page.
            using var timeout = new CancellationTokenSource(readyTimeout ?? TimeSpan.FromSeconds(60));
            await process.WaitForExitAsync(timeout.Token);
            if (process.ExitCode != 0)
            {
                throw new InvalidOperationException($"--migrate-only exited with {process.ExitCode}:\n{site.Output}");
            }
            return site;
        }
        try
        {
            // Generous: a start takes 1-2 s of CPU, but on a 2-core CI machine shared with other jobs (load average 20)
            // a process gets a tenth of a core and was seen to need over 30 s. A healthy run never waits this long.
            await site.WaitUntilReadyAsync(readyTimeout ?? TimeSpan.FromSeconds(90), readyPath);
        }
        catch
        {
            site.Dispose();
            throw;
        }
        return site;
    }

    /// <summary>Starts the site and waits for it to exit by itself, as a start-up failure does; kills it after
    /// <paramref name="timeout"/>. Returns the exit code and everything it wrote to stdout and stderr.</summary>
    public static async Task<(int ExitCode, string Output)> RunUntilExitAsync(string folder, IReadOnlyDictionary<string, string> environment, TimeSpan timeout,
        params string[] arguments)
    {
        var start = CreateStartInfo(SiteDll, folder, Path.Combine(folder, "site.db"), "", Tools.FreePort(), environment, arguments);
        using var process = new Process { StartInfo = start };
        var output = new System.Text.StringBuilder();
        void Append(string? line)
        {
            lock (output)
            {
                output.AppendLine(line);
            }
        }
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"The site did not exit within {timeout.TotalSeconds:0} s. Its output:\n{output}");
        }
        // WaitForExit() without a timeout drains the redirected output.
        process.WaitForExit();
        lock (output)
        {
            return (process.ExitCode, output.ToString());
        }
    }

    private static ProcessStartInfo CreateStartInfo(string dll, string folder, string databasePath, string codeHashKey, int port,
        IReadOnlyDictionary<string, string>? environment, string[] arguments)
    {
        if (!File.Exists(dll))
        {
            throw new FileNotFoundException($"The site is not built at {dll}.", dll);
        }
        // The deployed settings, as they sit next to the published site.
        var settings = Path.Combine(Path.GetDirectoryName(dll)!, "appsettings.json");
        if (File.Exists(settings))
        {
            File.Copy(settings, Path.Combine(folder, "appsettings.json"), overwrite: true);
        }

        var start = new ProcessStartInfo(DotnetHost())
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = folder,
        };
        start.ArgumentList.Add(dll);
        start.ArgumentList.Add("--contentRoot");
        start.ArgumentList.Add(folder);
        foreach (var inherited in start.Environment.Keys.Where(k =>
                     k.StartsWith("ASPNETCORE_", StringComparison.OrdinalIgnoreCase) || k.StartsWith("RINGCENTRAL_", StringComparison.OrdinalIgnoreCase)
                     || k.Equals("DOTNET_ENVIRONMENT", StringComparison.OrdinalIgnoreCase)).ToList())
        {
            start.Environment.Remove(inherited);
        }
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Development";
        start.Environment["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}";
        start.Environment["ASPNETCORE_CONTENTROOT"] = folder;
        start.Environment["ConnectionStrings__Site"] = $"Data Source={databasePath}";
        start.Environment["RateLimits__Enabled"] = "false";
        // Many parallel requests in the outage and multi-instance tests: they test those, not the hashing gate.
        start.Environment["Hashing__MaxQueue"] = "10000";
        start.Environment["Hashing__MaxWait"] = "00:01:00";
        start.Environment["TwoFactor__CodeHashKey"] = codeHashKey;
        start.Environment["DotEnv__Disabled"] = "true";
        start.Environment["Logging__LogLevel__Default"] = "Warning";
        start.Environment["Logging__LogLevel__Microsoft.Hosting.Lifetime"] = "Information";
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        return start;
    }

    /// <summary>SIGKILL on Linux: no shutdown hooks, no flushing, the way a crash or an OOM kill ends a process.</summary>
    public void Kill() => Tools.Kill(_process);

    public void Dispose()
    {
        Kill();
        _process.Dispose();
    }

    private async Task WaitUntilReadyAsync(TimeSpan timeout, string path)
    {
        using var http = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(5) };
        var deadline = Stopwatch.StartNew();
        string last = "no answer yet";
        while (deadline.Elapsed < timeout)
        {
            if (_process.HasExited)
            {
                // WaitForExit() without a timeout also waits for the output handlers to receive the last lines.
                _process.WaitForExit();
                throw new InvalidOperationException($"The site (pid {_process.Id}) exited with code {_process.ExitCode} before answering GET {path}. Its output:\n{Output}");
            }
            try
            {
                using var response = await http.GetAsync(new Uri(path, UriKind.Relative));
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
                last = $"GET {path} answered {(int)response.StatusCode}";
            }
            catch (HttpRequestException e)
            {
                last = e.Message;
            }
            catch (TaskCanceledException e)
            {
                last = e.Message;
            }
            await Task.Delay(100);
        }
        throw new TimeoutException($"The site (pid {_process.Id}) did not answer GET {path} with 200 within {timeout.TotalSeconds:0} s ({last}). Its output:\n{Output}");
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (_output)
        {
            _output.Enqueue(line);
            while (_output.Count > OutputLines)
            {
                _output.Dequeue();
            }
        }
    }

    private static string DotnetHost()
    {
        var host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        if (!string.IsNullOrEmpty(host) && File.Exists(host))
        {
            return host;
        }
        var current = Environment.ProcessPath;
        if (current is not null && Path.GetFileNameWithoutExtension(current).Equals("dotnet", StringComparison.OrdinalIgnoreCase))
        {
            return current;
        }
        return "dotnet";
    }

    private static string FindRepoRoot()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(Path.Combine(folder.FullName, "IdentityTwoFactor.sln")))
            {
                return folder.FullName;
            }
        }
        throw new DirectoryNotFoundException($"No IdentityTwoFactor.sln above {AppContext.BaseDirectory}.");
    }
}
