using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace IdentityTwoFactor.Tests.Unit.Support;

/// <summary>
/// A private nginx (Debian's package) terminating TLS with a throwaway self-signed certificate in front of site
/// instances, configured with the repository's <c>deploy/nginx.conf</c>. Everything lives in a temp folder (config,
/// pid, logs, temp paths); it runs in the foreground as a child process and is stopped by its process id. The system
/// nginx service is never touched. Set ITF_NGINX to the executable to use another nginx.
/// </summary>
public sealed class NginxProxy : IDisposable
{
    private readonly Process _process;
    private readonly string _folder;

    private NginxProxy(Process process, string folder, Uri baseAddress, string certificateHash)
    {
        _process = process;
        _folder = folder;
        BaseAddress = baseAddress;
        CertificateSha256 = certificateHash;
    }

    /// <summary><c>https://127.0.0.1:port</c>.</summary>
    public Uri BaseAddress { get; }

    /// <summary>The SHA-256 thumbprint of the throwaway certificate: clients trust exactly that one.</summary>
    public string CertificateSha256 { get; }

    public string ErrorLog => File.Exists(Path.Combine(_folder, "error.log")) ? File.ReadAllText(Path.Combine(_folder, "error.log")) : "";

    public static async Task<NginxProxy> StartAsync(IEnumerable<Uri> instances)
    {
        var nginx = FindNginx() ?? throw new InvalidOperationException(
            "nginx was not found (looked for ITF_NGINX, /usr/sbin/nginx and PATH): apt-get install nginx (scripts/install-test-deps.sh does it).");
        var folder = Directory.CreateTempSubdirectory("itf-nginx-").FullName;
        var certificate = Path.Combine(folder, "cert.pem");
        var key = Path.Combine(folder, "key.pem");
        Tools.Run("openssl", $"req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 -keyout {key} -out {certificate}");
        var hash = X509Certificate2.CreateFromPem(File.ReadAllText(certificate)).GetCertHashString(HashAlgorithmName.SHA256);

        var port = Tools.FreePort();
        var placeholders = new Dictionary<string, string>
        {
            ["@LISTEN@"] = $"127.0.0.1:{port}",
            ["@SERVER_NAME@"] = "127.0.0.1",
            ["@CERTIFICATE@"] = certificate,
            ["@CERTIFICATE_KEY@"] = key,
            ["@INSTANCES@"] = string.Join("\n    ", instances.Select(i => $"server {i.Authority} max_fails=1 fail_timeout=10s;")),
        };
        // The placeholders are filled in the directives only; the comments that explain them stay as they are.
        var lines = File.ReadAllLines(Path.Combine(SiteProcess.RepoRoot, "deploy", "nginx.conf"))
            .Select(line => line.TrimStart().StartsWith('#')
                ? line
                : placeholders.Aggregate(line, (filled, p) => filled.Replace(p.Key, p.Value, StringComparison.Ordinal)))
            .ToList();
        if (lines.Any(l => !l.TrimStart().StartsWith('#') && l.Contains('@', StringComparison.Ordinal)))
        {
            throw new InvalidOperationException("deploy/nginx.conf has a placeholder the test does not fill in.");
        }
        var site = string.Join('\n', lines);
        File.WriteAllText(Path.Combine(folder, "site.conf"), site);
        // The process-level settings a system nginx gets from /etc/nginx/nginx.conf, pointed into the temp folder.
        // user root: the default worker user (www-data) cannot enter a private temp folder.
        var user = Environment.UserName == "root" ? "user root;" : "";
        File.WriteAllText(Path.Combine(folder, "nginx.conf"), $$"""
            {{user}}
            worker_processes 1;
            pid {{folder}}/nginx.pid;
            error_log {{folder}}/error.log warn;
            events { worker_connections 512; }
            http {
                access_log {{folder}}/access.log;
                client_body_temp_path {{folder}}/client_body;
                proxy_temp_path {{folder}}/proxy;
                fastcgi_temp_path {{folder}}/fastcgi;
                uwsgi_temp_path {{folder}}/uwsgi;
                scgi_temp_path {{folder}}/scgi;
                include {{folder}}/site.conf;
            }
            """);

        var start = new ProcessStartInfo(nginx)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in new[] { "-p", folder, "-c", Path.Combine(folder, "nginx.conf"), "-e", Path.Combine(folder, "error.log"), "-g", "daemon off;" })
        {
            start.ArgumentList.Add(argument);
        }
        var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start nginx.");
        var proxy = new NginxProxy(process, folder, new Uri($"https://127.0.0.1:{port}"), hash);
        try
        {
            await proxy.WaitUntilListeningAsync(port);
        }
        catch
        {
            proxy.Dispose();
            throw;
        }
        return proxy;
    }

    /// <summary>A browser on its own loopback address (Linux answers on all of 127.0.0.0/8): nginx sees a separate
    /// client per address. Cookies kept, redirects not followed, only this proxy's certificate trusted.</summary>
    public HttpClient NewClient(IPAddress source, CookieContainer? cookies = null) =>
        new(new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            UseCookies = true,
            CookieContainer = cookies ?? new CookieContainer(),
            PooledConnectionLifetime = TimeSpan.FromSeconds(30),
            ConnectCallback = async (context, cancellationToken) =>
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    socket.Bind(new IPEndPoint(source, 0));
                    await socket.ConnectAsync(context.DnsEndPoint, cancellationToken);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
            SslOptions =
            {
                RemoteCertificateValidationCallback = (_, certificate, _, _) =>
                    certificate is not null && string.Equals(certificate.GetCertHashString(HashAlgorithmName.SHA256), CertificateSha256, StringComparison.OrdinalIgnoreCase),
            },
        })
        {
            BaseAddress = BaseAddress,
            Timeout = TimeSpan.FromSeconds(30),
        };

    public void Dispose()
    {
        // The master and its worker, by process id.
        Tools.Kill(_process);
        _process.Dispose();
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private async Task WaitUntilListeningAsync(int port)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(15))
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"nginx exited with code {_process.ExitCode}: {await _process.StandardError.ReadToEndAsync()}{ErrorLog}");
            }
            using var probe = new TcpClient();
            try
            {
                await probe.ConnectAsync(IPAddress.Loopback, port);
                return;
            }
            catch (SocketException)
            {
                await Task.Delay(50);
            }
        }
        throw new TimeoutException($"nginx did not listen on {port} within 15 s: {ErrorLog}");
    }

    private static string? FindNginx()
    {
        var configured = Environment.GetEnvironmentVariable("ITF_NGINX");
        if (!string.IsNullOrEmpty(configured) && File.Exists(configured))
        {
            return configured;
        }
        if (File.Exists("/usr/sbin/nginx"))
        {
            return "/usr/sbin/nginx";
        }
        return (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':')
            .Select(p => Path.Combine(p, "nginx"))
            .FirstOrDefault(File.Exists);
    }
}
