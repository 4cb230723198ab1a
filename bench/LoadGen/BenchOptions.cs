using System.Globalization;

namespace IdentityTwoFactor.Bench.LoadGen;

/// <summary>Command line: <c>--name value</c> pairs; every one has a default (see bench/README.md).</summary>
internal sealed class BenchOptions
{
    public string RepoRoot { get; private set; } = Directory.GetCurrentDirectory();
    public string SiteDll { get; private set; } = "";

    /// <summary>The site published with the README's command (ReadyToRun); empty: H measures plain builds only.</summary>
    public string SitePublishedDll { get; private set; } = "";

    /// <summary>The stock app published the same way (ReadyToRun, framework-dependent, same runtime identifier).</summary>
    public string StockPublishedDll { get; private set; } = "";
    public string StockDir { get; private set; } = "";
    public string Output { get; private set; } = "";
    public int Clients { get; private set; } = 16;
    public TimeSpan Duration { get; private set; } = TimeSpan.FromSeconds(15);
    public int Repeats { get; private set; } = 3;
    /// <summary>Repeats of the site-only scenarios D, F and G (one by default, to fit ten minutes).</summary>
    public int SlowRepeats { get; private set; } = 1;
    public int StartupRepeats { get; private set; } = 3;
    public TimeSpan Warmup { get; private set; } = TimeSpan.FromSeconds(3);
    public TimeSpan SmsLatency { get; private set; } = TimeSpan.FromMilliseconds(300);
    public int ResendClients { get; private set; } = 64;
    /// <summary>Users for the failed-login scenario: each gets at most 2 wrong passwords per run (the site locks at 3).</summary>
    public int FailurePool { get; private set; } = 3000;

    /// <summary>Scenario letters to run (default all), e.g. <c>--only BC</c> for a profiling session.</summary>
    public string Only { get; private set; } = "ABCDEFGHIJ";

    /// <summary>J: the flood phases' numbers of clients posting wrong logins (<c>--flood-clients 64,256</c>). The
    /// smallest carries the GET target, the largest the "answered within 2 s" target (issue 16).</summary>
    public IReadOnlyList<int> FloodClients { get; private set; } = [64, 256];

    /// <summary>J: which clients run beside the flood, in this order (<c>--flood-pacing paced,unpaced</c>): paced GET and
    /// unlock clients (a fixed schedule, like people) carry the completed-logins target; unpaced ones (each op starts as
    /// the last ends) load the pages as hard as they can. The latency targets hold for both.</summary>
    public IReadOnlyList<bool> FloodPacing { get; private set; } = [true, false];

    /// <summary><c>--engines sqlite,postgres</c>: the site on each database engine side by side (no stock app);
    /// empty for the site-vs-stock run.</summary>
    public IReadOnlyList<string> Engines { get; private set; } = [];

    public bool EnginesMode => Engines.Count > 0;

    public bool Runs(string scenario) => Only.Contains(scenario, StringComparison.OrdinalIgnoreCase);

    public static BenchOptions Parse(string[] args)
    {
        var o = new BenchOptions();
        bool only = false, repeats = false, slowRepeats = false, startupRepeats = false;
        for (var i = 0; i < args.Length; i++)
        {
            var name = args[i];
            var value = i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{name} needs a value");
            switch (name)
            {
                case "--repo": o.RepoRoot = Path.GetFullPath(value); break;
                case "--site-dll": o.SiteDll = Path.GetFullPath(value); break;
                case "--stock-dir": o.StockDir = Path.GetFullPath(value); break;
                case "--site-published-dll": o.SitePublishedDll = Path.GetFullPath(value); break;
                case "--stock-published-dll": o.StockPublishedDll = Path.GetFullPath(value); break;
                case "--out": o.Output = Path.GetFullPath(value); break;
                case "--clients": o.Clients = Positive(name, value); break;
                case "--duration": o.Duration = TimeSpan.FromSeconds(Positive(name, value)); break;
                case "--repeats": o.Repeats = Positive(name, value); repeats = true; break;
                case "--slow-repeats": o.SlowRepeats = Positive(name, value); slowRepeats = true; break;
                case "--startup-repeats": o.StartupRepeats = Positive(name, value); startupRepeats = true; break;
                case "--warmup": o.Warmup = TimeSpan.FromSeconds(Positive(name, value)); break;
                case "--latency-ms": o.SmsLatency = TimeSpan.FromMilliseconds(Positive(name, value)); break;
                case "--resend-clients": o.ResendClients = Positive(name, value); break;
                case "--failure-pool": o.FailurePool = Positive(name, value); break;
                case "--only": o.Only = value.ToUpperInvariant(); only = true; break;
                case "--flood-clients":
                    o.FloodClients = [.. value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(v => Positive(name, v)).Distinct().Order()];
                    if (o.FloodClients.Count == 0)
                    {
                        throw new ArgumentException("--flood-clients takes comma-separated positive numbers, e.g. 64,256");
                    }
                    break;
                case "--flood-pacing":
                    var pacings = value.ToLowerInvariant().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                    if (pacings.Length == 0 || pacings.Any(v => v is not ("paced" or "unpaced")) || pacings.Distinct().Count() != pacings.Length)
                    {
                        throw new ArgumentException($"--flood-pacing takes paced and/or unpaced, comma-separated, not '{value}'");
                    }
                    o.FloodPacing = [.. pacings.Select(v => v == "paced")];
                    break;
                case "--engines":
                    o.Engines = value.ToLowerInvariant().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                    if (o.Engines.Any(e => e is not ("sqlite" or "postgres")) || o.Engines.Distinct().Count() != o.Engines.Count)
                    {
                        throw new ArgumentException($"--engines takes sqlite and/or postgres, comma-separated, not '{value}'");
                    }
                    break;
                default: throw new ArgumentException($"Unknown option {name}");
            }
        }
        if (o.SiteDll.Length == 0)
        {
            o.SiteDll = Path.Combine(o.RepoRoot, "src/Site/bin/Release/net10.0/IdentityTwoFactor.Site.dll");
        }
        if (o.Output.Length == 0)
        {
            o.Output = Path.Combine(o.RepoRoot, "bench/results/latest.md");
        }
        if (o.EnginesMode)
        {
            // Engines comparison defaults: B, D, F and H; B × 3, D/F × 2, H × 3 per engine (about 5 minutes).
            o.Only = only ? o.Only : "BDFH";
            o.Repeats = repeats ? o.Repeats : 3;
            o.SlowRepeats = slowRepeats ? o.SlowRepeats : 2;
            o.StartupRepeats = startupRepeats ? o.StartupRepeats : 3;
        }
        else if (o.StockDir.Length == 0)
        {
            throw new ArgumentException("--stock-dir (the generated stock app, built in Release) is required; bench/run.sh makes it.");
        }
        return o;
    }

    private static int Positive(string name, string value) =>
        int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) && n > 0
            ? n
            : throw new ArgumentException($"{name} must be a positive integer, not '{value}'");
}
