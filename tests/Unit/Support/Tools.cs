using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace IdentityTwoFactor.Tests.Unit.Support;

/// <summary>What the process-level test helpers share: running a command-line tool, and a free loopback port.</summary>
public static class Tools
{
    /// <summary>Runs <paramref name="file"/> and waits at most 90 s; throws with its standard error and output when it
    /// does not finish or exits non-zero.</summary>
    public static void Run(string file, string arguments)
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

    /// <summary>Kills <paramref name="process"/> and its children if it still runs and waits up to 10 s for it to go; a
    /// process that never started or is already gone is fine.</summary>
    public static void Kill(Process process)
    {
        ArgumentNullException.ThrowIfNull(process);
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
            process.WaitForExit(10_000);
        }
        catch (InvalidOperationException)
        {
            // Never started, or already gone.
        }
    }

    /// <summary>A loopback port nobody listens on right now (another process may still take it before the caller does).</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
