using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace IdentityTwoFactor.Bench.LoadGen;

/// <summary>A web app run as a child process (<c>dotnet app.dll</c>) on a free loopback port, with /proc readings.</summary>
internal sealed class AppProcess : IAsyncDisposable
{
    /// <summary>Linux USER_HZ: utime and stime in /proc/&lt;pid&gt;/stat count 1/100 s.</summary>
    private const double TicksPerSecond = 100;

    private readonly Process _process;
    private readonly StreamWriter _log;

    private AppProcess(string name, Process process, StreamWriter log, int port)
    {
        Name = name;
        _process = process;
        _log = log;
        BaseAddress = new Uri($"http://127.0.0.1:{port}");
    }

    public string Name { get; }
    public Uri BaseAddress { get; }
    public int Pid => _process.Id;

    /// <summary>From Process.Start to the first 200 on the ready path.</summary>
    public TimeSpan StartupTime { get; private set; }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    public static async Task<AppProcess> StartAsync(string name, string dll, string workingDirectory, IDictionary<string, string> environment,
        int port, string readyPath, string logFile)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(dll);
        foreach (var (key, value) in environment)
        {
            info.Environment[key] = value;
        }
        info.Environment["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}";
        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        // As behind a TLS-terminating reverse proxy: X-Forwarded-Proto: https makes Request.IsHttps true. The site
        // believes it from loopback on its own; the stock app needs the host's switch, so both get it (same treatment).
        // Without it the stock app's forms would still work over http, but the site (Secure cookies, HTTPS-only posts)
        // would not.
        info.Environment["ASPNETCORE_FORWARDEDHEADERS_ENABLED"] = "true";

        var log = new StreamWriter(logFile, append: true) { AutoFlush = true };
        var stopwatch = Stopwatch.StartNew();
        var process = Process.Start(info) ?? throw new InvalidOperationException($"Could not start {dll}");
        process.OutputDataReceived += (_, e) => Write(log, e.Data);
        process.ErrorDataReceived += (_, e) => Write(log, e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var app = new AppProcess(name, process, log, port);

        using var probe = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false })
        {
            BaseAddress = app.BaseAddress,
            Timeout = TimeSpan.FromSeconds(5),
        };
        probe.DefaultRequestHeaders.Add("X-Forwarded-Proto", "https");
        while (true)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"{name} exited with code {process.ExitCode} before answering; see {logFile}");
            }
            if (stopwatch.Elapsed > TimeSpan.FromSeconds(90))
            {
                await app.DisposeAsync();
                throw new TimeoutException($"{name} did not answer 200 on {readyPath} within 90 s; see {logFile}");
            }
            try
            {
                using var response = await probe.GetAsync(readyPath);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    app.StartupTime = stopwatch.Elapsed;
                    return app;
                }
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException)
            {
            }
            await Task.Delay(10);
        }
    }

    private static void Write(StreamWriter log, string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (log)
        {
            log.WriteLine(line);
        }
    }

    /// <summary>utime + stime of the process, in seconds.</summary>
    public double CpuSeconds()
    {
        var stat = File.ReadAllText($"/proc/{Pid}/stat");
        // Fields after the command name (which may contain spaces) start at field 3; utime is 14, stime 15.
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        var utime = long.Parse(fields[11], CultureInfo.InvariantCulture);
        var stime = long.Parse(fields[12], CultureInfo.InvariantCulture);
        return (utime + stime) / TicksPerSecond;
    }

    /// <summary>VmHWM (peak resident set) in MiB.</summary>
    public double PeakRssMiB()
    {
        foreach (var line in File.ReadLines($"/proc/{Pid}/status"))
        {
            if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
            {
                var kb = long.Parse(line["VmHWM:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
                return kb / 1024.0;
            }
        }
        return double.NaN;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                await _process.WaitForExitAsync(cts.Token);
            }
        }
        catch (InvalidOperationException)
        {
        }
        catch (OperationCanceledException)
        {
        }
        _process.Dispose();
        lock (_log)
        {
            _log.Dispose();
        }
    }
}
