using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using IdentityTwoFactor.Bench.LoadGen;
using IdentityTwoFactor.FakeRingCentral;

// bench/run.sh builds the site and the stock app, then runs this. See bench/README.md.
BenchOptions options;
try
{
    options = BenchOptions.Parse(args);
}
catch (ArgumentException e)
{
    await Console.Error.WriteLineAsync(e.Message);
    return 2;
}

var work = Path.Combine(Path.GetTempPath(), "itf-bench-" + Guid.NewGuid().ToString("N")[..8]);
Directory.CreateDirectory(work);
Directory.CreateDirectory(Path.GetDirectoryName(options.Output)!);
var logDir = Path.Combine(Path.GetDirectoryName(options.Output)!, "logs");
Directory.CreateDirectory(logDir);
foreach (var old in Directory.GetFiles(logDir, "*.log"))
{
    File.Delete(old);
}
Console.WriteLine($"bench: work folder {work}, child logs in {logDir}");

await using var fake = await FakeRingCentralServer.StartNewAsync();
fake.SmsLatency = options.SmsLatency;
if (options.EnginesMode)
{
    try
    {
        var report = await Engines.RunAsync(options, fake, work, logDir);
        await File.WriteAllTextAsync(options.Output, report);
        Console.WriteLine();
        Console.WriteLine(report);
        Console.WriteLine($"bench: written to {options.Output}");
        return 0;
    }
    finally
    {
        try
        {
            Directory.Delete(work, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
var bench = new Bench(options, fake, work, logDir);
try
{
    var report = await bench.RunAsync();
    await File.WriteAllTextAsync(options.Output, report);
    Console.WriteLine();
    Console.WriteLine(report);
    Console.WriteLine($"bench: written to {options.Output}");
    return 0;
}
finally
{
    await bench.DisposeAsync();
    try
    {
        Directory.Delete(work, recursive: true);
    }
    catch (IOException)
    {
    }
}

/// <param name="engine"><c>site</c> in the site-vs-stock run; <c>sqlite</c> or <c>postgres</c> with --engines (then the
/// database is migrated once with --migrate-only and the site starts with Database__MigrateAtStart=false).</param>
internal sealed class Bench(BenchOptions o, FakeRingCentralServer fake, string work, string logDir, string engine = "site", PostgresCluster? pg = null)
    : IAsyncDisposable
{
    public const string Password = "Correct-Horse-9-battery";
    public const string WrongPassword = "Wrong-Horse-9-battery";
    public const string SiteUser = "bench@bench.test";
    public const string StockUser = "bench@bench.test";
    private const string SiteLogin = "/login";
    private const string StockLogin = "/Identity/Account/Login";
    private static readonly string[] CommonLetters = ["A", "B", "C"];

    /// <summary>J (issue 16): the clients beside the flood, in every phase: GETs of the login page, and (site) unlock stories.</summary>
    private const int FloodGetClients = 4;
    private const int FloodUnlockClients = 4;

    /// <summary>J, paced: each GET client loads the login page 20 times a second, each unlock client runs the story
    /// twice a second (80 pages and 8 stories a second in all), in the quiet phase and during the flood alike.</summary>
    private static readonly TimeSpan PacedGetInterval = TimeSpan.FromMilliseconds(50);
    private static readonly TimeSpan PacedUnlockInterval = TimeSpan.FromMilliseconds(500);

    /// <summary>J's unrecorded warm-up per app, at least (<c>--warmup</c> when longer).</summary>
    private const int FloodWarmupSeconds = 10;

    private readonly List<RunResult> _runs = [];
    private readonly List<FloodPhase> _flood = [];
    private readonly List<double> _hashMs = [];
    private readonly List<double> _hashCpuMs = [];
    private readonly List<double> _siteStartMs = [];
    private readonly List<double> _stockStartMs = [];
    private readonly List<double> _siteRestartMs = [];
    private readonly List<double> _sitePublishedStartMs = [];
    private readonly List<double> _sitePublishedRestartMs = [];
    private readonly List<double> _stockPublishedStartMs = [];
    private string _siteRoot = "";
    private readonly List<string> _notes = [];
    private AppProcess? _site;
    private AppProcess? _stock;
    private SiteDatabase? _siteDb;
    private string _hashDescription = "";
    private string _siteHash = "";
    private int _instance;
    private int _failureCursor;

    private string StockDll => Path.Combine(o.StockDir, "bin/Release/net10.0/StockApp.dll");

    // ---- --engines: the same site on one engine; Engines drives two of these side by side --------------------

    private string? _connectionString;
    private string _engineRoot = "";

    public string Engine => engine;
    public List<RunResult> Runs => _runs;
    public List<double> StartupMs => _siteRestartMs;
    public double MigrateOnlyMs { get; private set; } = double.NaN;
    public AppProcess? Site => _site;

    /// <summary>Creates the database (PostgreSQL: CREATE DATABASE in the bench's cluster) and migrates it with --migrate-only.</summary>
    public async Task PrepareDatabaseAsync()
    {
        _engineRoot = Path.Combine(work, $"site-{engine}");
        Directory.CreateDirectory(_engineRoot);
        if (pg is not null)
        {
            _connectionString = await pg.CreateDatabaseAsync("itf_bench");
            _siteDb = SiteDatabase.Postgres(_connectionString);
        }
        else
        {
            var file = Path.Combine(_engineRoot, "site.db");
            _connectionString = $"Data Source={file}";
            _siteDb = SiteDatabase.Sqlite(file);
        }
        MigrateOnlyMs = await MigrateOnlyAsync($"site-{engine}.log");
        Console.WriteLine($"{engine}: database migrated with --migrate-only in {MigrateOnlyMs:F0} ms");
    }

    /// <summary>Runs <c>dotnet IdentityTwoFactor.Site.dll --migrate-only</c> on the current connection string, as a
    /// deployment does before it starts instances; returns its wall time in ms.</summary>
    private async Task<double> MigrateOnlyAsync(string logName)
    {
        var watch = Stopwatch.StartNew();
        var info = new ProcessStartInfo("dotnet") { WorkingDirectory = Path.GetDirectoryName(o.SiteDll)!, RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add(o.SiteDll);
        info.ArgumentList.Add("--migrate-only");
        foreach (var (key, value) in SiteEnvironment())
        {
            info.Environment[key] = value;
        }
        using var process = Process.Start(info) ?? throw new InvalidOperationException("could not start the site with --migrate-only");
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        var elapsed = watch.Elapsed.TotalMilliseconds;
        await File.AppendAllTextAsync(Path.Combine(logDir, logName), await output + await errors);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{engine}: --migrate-only exited with {process.ExitCode}; see {logDir}/{logName}");
        }
        return elapsed;
    }

    /// <summary>A new site folder whose database is already migrated (by <c>--migrate-only</c>), as the stock app's
    /// template ships its app.db migrated: the load scenarios then measure both apps serving, not the site's one-time
    /// schema creation (its design-time model and the JIT of EF Core's migrator stayed in the site's peak RSS).</summary>
    private async Task<string> MigratedSiteRootAsync()
    {
        var root = Path.Combine(work, $"site-{Interlocked.Increment(ref _instance)}");
        Directory.CreateDirectory(root);
        _connectionString = $"Data Source={Path.Combine(root, "site.db")}";
        await MigrateOnlyAsync("site.log");
        return root;
    }

    /// <summary>H for one engine: start on the migrated database (MigrateAtStart=false) → first 200 on /login.</summary>
    public async Task MeasureStartupAsync()
    {
        await using var site = await StartSiteAsync();
        _siteRestartMs.Add(site.StartupTime.TotalMilliseconds);
        Console.WriteLine($"H {engine}: {_siteRestartMs[^1]:F0} ms");
    }

    public async Task StartAndSeedAsync()
    {
        _site = await StartSiteAsync();
        _http = NewHttpClient(_site);
        Console.WriteLine($"{engine}: site pid {_site.Pid} at {_site.BaseAddress}");
        await SeedSiteAsync(_http);
    }

    private HttpClient? _http;

    /// <summary>One run of B, D or F (or A) on this engine; <paramref name="repeat"/> 0 is a warm-up (not recorded).</summary>
    public async Task RunEngineScenarioAsync(string scenario, int repeat, TimeSpan duration)
    {
        var http = _http!;
        var dbBefore = pg?.CpuSeconds() ?? 0;
        var run = scenario switch
        {
            "A" => await LoadRunner.RunAsync("A", _site!, http, repeat, o.Clients, duration, _ => (b, ct) => GetForm(b, SiteLogin, ct)),
            "B" => await LoadRunner.RunAsync("B", _site!, http, repeat, o.Clients, duration, client => async (b, ct) =>
                Expect(await b.SubmitFormAsync(SiteLogin, SiteLogin, SiteFields(PoolEmail("b", client), Password), ct), 302, "/")),
            "D" => await LoadRunner.RunAsync("D", _site!, http, repeat, o.Clients, duration, LockedLogin),
            "F" => await RunUnlockAsync(http, repeat, duration),
            _ => throw new ArgumentException($"--engines runs A, B, D and F, not {scenario}"),
        };
        // The database server's CPU over the same window (PostgreSQL runs in its own processes; SQLite inside the site).
        run.Extra["db cpu ms/op"] = pg is null || run.Ops == 0 ? 0 : (pg.CpuSeconds() - dbBefore) * 1000 / run.Ops;
        if (repeat > 0)
        {
            await Record(run);
        }
    }

    public async Task<string> RunAsync()
    {
        // H: startup, fresh database each time, alternating.
        for (var r = 0; r < (o.Runs("H") ? o.StartupRepeats : 0); r++)
        {
            string root;
            await using (var site = await StartSiteAsync())
            {
                _siteStartMs.Add(site.StartupTime.TotalMilliseconds);
                root = _siteRoot;
            }
            // The same site again on the database it just created: startup without creating the schema.
            await using (var again = await StartSiteAsync(root))
            {
                _siteRestartMs.Add(again.StartupTime.TotalMilliseconds);
            }
            await using (var stock = await StartStockAsync())
            {
                _stockStartMs.Add(stock.StartupTime.TotalMilliseconds);
            }
            Console.WriteLine($"H startup #{r + 1}: site {_siteStartMs[^1]:F0} ms (existing db {_siteRestartMs[^1]:F0} ms), stock {_stockStartMs[^1]:F0} ms");
            if (o.SitePublishedDll.Length > 0 && o.StockPublishedDll.Length > 0)
            {
                // The same three starts, published with ReadyToRun as deployed; stock first on odd repeats, so neither
                // side always starts right after the other's exit.
                if (r % 2 == 1)
                {
                    await using var stockFirst = await StartStockAsync(o.StockPublishedDll);
                    _stockPublishedStartMs.Add(stockFirst.StartupTime.TotalMilliseconds);
                }
                await using (var site = await StartSiteAsync(dll: o.SitePublishedDll))
                {
                    _sitePublishedStartMs.Add(site.StartupTime.TotalMilliseconds);
                    root = _siteRoot;
                }
                await using (var again = await StartSiteAsync(root, o.SitePublishedDll))
                {
                    _sitePublishedRestartMs.Add(again.StartupTime.TotalMilliseconds);
                }
                if (r % 2 == 0)
                {
                    await using var stockAfter = await StartStockAsync(o.StockPublishedDll);
                    _stockPublishedStartMs.Add(stockAfter.StartupTime.TotalMilliseconds);
                }
                Console.WriteLine($"H startup #{r + 1}, published: site {_sitePublishedStartMs[^1]:F0} ms (existing db {_sitePublishedRestartMs[^1]:F0} ms), stock {_stockPublishedStartMs[^1]:F0} ms");
            }
        }

        _site = await StartSiteAsync(await MigratedSiteRootAsync());
        _stock = await StartStockAsync();
        using var siteHttp = NewHttpClient(_site);
        using var stockHttp = NewHttpClient(_stock);
        Console.WriteLine($"site pid {_site.Pid} at {_site.BaseAddress}, stock pid {_stock.Pid} at {_stock.BaseAddress}");

        await SeedSiteAsync(siteHttp);
        await SeedStockAsync(stockHttp);
        MeasureHash(20);

        Console.WriteLine($"warm-up: {o.Warmup.TotalSeconds:F0} s of each scenario");
        foreach (var (name, app, http, op) in CommonScenarios(siteHttp, stockHttp).Where(s => o.Runs(s.Name)))
        {
            if (name.StartsWith('C') && app == _site)
            {
                await ResetFailuresAsync();
            }
            await LoadRunner.RunAsync(name, app, http, 0, o.Clients, o.Warmup, op);
        }

        for (var r = 1; r <= o.Repeats; r++)
        {
            MeasureHash(10);
            var siteFirst = r % 2 == 1;
            foreach (var scenario in CommonLetters.Where(o.Runs))
            {
                var order = siteFirst ? new[] { true, false } : [false, true];
                foreach (var isSite in order)
                {
                    var (name, app, http, op) = CommonScenarios(siteHttp, stockHttp).Single(s => s.Name == scenario && (s.App == _site) == isSite);
                    if (isSite && scenario == "C")
                    {
                        await ResetFailuresAsync();
                    }
                    await Record(await LoadRunner.RunAsync(name, app, http, r, o.Clients, o.Duration, op));
                    if (isSite && scenario == "C" && o.Runs("E"))
                    {
                        // E right after the site's C: unknown email against known email + wrong password.
                        await Record(await LoadRunner.RunAsync("E", _site, siteHttp, r, o.Clients, o.Duration, UnknownEmail));
                    }
                }
            }
        }

        for (var r = 1; r <= o.SlowRepeats; r++)
        {
            if (o.Runs("I"))
            {
                foreach (var (name, app, http, op) in CommonScenarios(siteHttp, stockHttp).Where(s => s.Name == "I"))
                {
                    await Record(await LoadRunner.RunAsync(name, app, http, r, o.Clients, o.Duration, op));
                }
            }
            if (o.Runs("D"))
            {
                await Record(await LoadRunner.RunAsync("D", _site, siteHttp, r, o.Clients, o.Duration, LockedLogin));
            }
            if (o.Runs("F"))
            {
                await Record(await RunUnlockAsync(siteHttp, r));
            }
            if (o.Runs("G"))
            {
                await Record(await RunResendAsync(siteHttp, r));
            }
        }
        var floodHashMs = new List<double>();
        if (o.Runs("J"))
        {
            // The single-threaded verify time around J, shown beside the phases' own parallel ceilings (FloodPhaseAsync
            // times those): over a run of a quarter of an hour a shared machine's speed drifts.
            var first = _hashMs.Count;
            MeasureHash(10);
            await RunFloodAsync(siteHttp, stockHttp);
            MeasureHash(10);
            floodHashMs.AddRange(_hashMs.Skip(first));
        }
        else
        {
            MeasureHash(10);
        }

        return Report.Build(o, _runs, _hashMs, _hashCpuMs, _hashDescription, _siteStartMs, _siteRestartMs, _stockStartMs,
            new PublishedStartup(_sitePublishedStartMs, _sitePublishedRestartMs, _stockPublishedStartMs), fake.TokenRequests, _notes,
            new FloodResult(_flood, floodHashMs));
    }

    private Task Record(RunResult run)
    {
        _runs.Add(run);
        var extra = string.Join(", ", run.Extra.Select(e => $"{e.Key} {e.Value:F1}"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{run.Scenario} {run.App,-5} #{run.Repeat}: {run.OpsPerSecond,8:F1} ops/s  p50 {run.P50Ms,7:F1} ms  p99 {run.P99Ms,7:F1} ms  cpu {run.CpuMsPerOp,6:F2} ms/op  rss {run.PeakRssMiB,6:F0} MiB  errors {run.Errors}{(extra.Length > 0 ? "  " + extra : "")}"));
        foreach (var sample in run.ErrorSamples)
        {
            Console.WriteLine("    error: " + sample);
        }
        return Task.CompletedTask;
    }

    // ---- scenarios ---------------------------------------------------------------------------------------

    private IEnumerable<(string Name, AppProcess App, HttpClient Http, Func<int, Operation> Op)> CommonScenarios(HttpClient siteHttp, HttpClient stockHttp)
    {
        yield return ("A", _site!, siteHttp, _ => (b, ct) => GetForm(b, SiteLogin, ct));
        yield return ("A", _stock!, stockHttp, _ => (b, ct) => GetForm(b, StockLogin, ct));
        // B: each client signs in to its own account, as many people do at once.
        yield return ("B", _site!, siteHttp, client => async (b, ct) =>
            Expect(await b.SubmitFormAsync(SiteLogin, SiteLogin, SiteFields(PoolEmail("b", client), Password), ct), 302, "/"));
        yield return ("B", _stock!, stockHttp, client => async (b, ct) =>
            Expect(await b.SubmitFormAsync(StockLogin, StockLogin, StockFields(PoolEmail("b", client), Password), ct), 302, "/"));
        // I: every client signs in to the same account at once (a shared or scripted account). A reference, not a target:
        // the site compares at most the lockout limit's passwords of one account at a time (decision 0005), the stock app
        // any number.
        yield return ("I", _site!, siteHttp, _ => async (b, ct) =>
            Expect(await b.SubmitFormAsync(SiteLogin, SiteLogin, SiteFields(SiteUser, Password), ct), 302, "/"));
        yield return ("I", _stock!, stockHttp, _ => async (b, ct) =>
            Expect(await b.SubmitFormAsync(StockLogin, StockLogin, StockFields(StockUser, Password), ct), 302, "/"));
        yield return ("C", _site!, siteHttp, _ => async (b, ct) =>
        {
            // Two wrong passwords per user per run: the site locks at three.
            var user = (Interlocked.Increment(ref _failureCursor) - 1) / 2;
            if (user >= o.FailurePool)
            {
                return "STOP: failure pool exhausted (raise --failure-pool)";
            }
            return Expect(await b.SubmitFormAsync(SiteLogin, SiteLogin, SiteFields(PoolEmail("c", user), WrongPassword), ct), 302, "/login");
        });
        yield return ("C", _stock!, stockHttp, _ => async (b, ct) =>
        {
            var answer = await b.SubmitFormAsync(StockLogin, StockLogin, StockFields(StockUser, WrongPassword), ct);
            return answer.Status == 200 && answer.Body.Contains("Invalid login attempt", StringComparison.Ordinal)
                ? null
                : $"expected 200 with 'Invalid login attempt', got {answer}";
        });
    }

    private Operation UnknownEmail(int client) => async (b, ct) =>
        Expect(await b.SubmitFormAsync(SiteLogin, SiteLogin, SiteFields($"nobody-{Guid.NewGuid():N}@bench.test", WrongPassword), ct), 302, "/login");

    private Operation LockedLogin(int client) => async (b, ct) =>
        Expect(await b.SubmitFormAsync(SiteLogin, SiteLogin, SiteFields(PoolEmail("d", client), Password), ct), 302, "/unlock");

    /// <summary>F: re-lock (SQL), ask for a code, read it from the fake server, unlock with it. Fake latency 0 here.</summary>
    private async Task<RunResult> RunUnlockAsync(HttpClient http, int repeat, TimeSpan? duration = null)
    {
        fake.SmsLatency = TimeSpan.Zero;
        try
        {
            var before = fake.SmsRequests;
            var run = await LoadRunner.RunAsync("F", _site!, http, repeat, o.Clients, duration ?? o.Duration, client =>
            {
                var story = UnlockStory("f", client);
                return async (b, ct) => (await story(b, ct)).Error;
            });
            run.Extra["texts"] = fake.SmsRequests - before;
            return run;
        }
        finally
        {
            fake.SmsLatency = o.SmsLatency;
        }
    }

    /// <summary>The unlock-by-code story of F and J for one client of <paramref name="pool"/>: re-lock the account (SQL),
    /// ask for a code (<c>POST /unlock?handler=Resend</c>), read it from the fake server, <c>POST /unlock</c> with it.
    /// The re-lock's time is returned as <see cref="Outcome.SetupMs"/>: J leaves it out of the story's latency (it is the
    /// bench writing to the site's SQLite file from another process, where the site's own write queue cannot order it);
    /// F still counts it, as it always has.</summary>
    private FloodOperation UnlockStory(string pool, int client) => async (b, ct) =>
    {
        var email = PoolEmail(pool, client);
        var relock = Stopwatch.GetTimestamp();
        await _siteDb!.LockAsync(email);
        var setupMs = Stopwatch.GetElapsedTime(relock).TotalMilliseconds;
        return (await UnlockAfterRelockAsync(b, email, pool, client, ct)) with { SetupMs = setupMs };
    };

    private async Task<Outcome> UnlockAfterRelockAsync(Browser b, string email, string pool, int client, CancellationToken ct)
    {
        var resend = await b.SubmitFormAsync("/unlock", "/unlock?handler=Resend", [new("Input.Email", email)], ct);
        if (Expect(resend, 302, "/unlock") is not null)
        {
            return Outcome.Unexpected("resend: expected 302 -> /unlock", resend);
        }
        var code = fake.LastCodeSentTo(PoolPhone(pool, client));
        if (code is null)
        {
            return Outcome.Failed("no code texted");
        }
        var unlock = await b.SubmitFormAsync("/unlock", "/unlock", [new("Input.Email", email), new("Input.Code", code)], ct);
        return Expect(unlock, 302, "/login") is null ? Outcome.Done : Outcome.Unexpected("expected 302 -> /login", unlock);
    }

    /// <summary>
    /// J (issue 16 item 3): per app, a quiet phase (GET and unlock clients only) then one flood phase per
    /// <see cref="BenchOptions.FloodClients"/> (the same clients plus N posting wrong logins), each for --duration; the
    /// apps alternate which goes first per phase. Fake RingCentral latency 0, as in F. A short unrecorded warm-up first
    /// (the apps are cold when J runs alone).
    /// </summary>
    private async Task RunFloodAsync(HttpClient siteHttp, HttpClient stockHttp)
    {
        fake.SmsLatency = TimeSpan.Zero;
        var watch = Stopwatch.StartNew();
        try
        {
            // Long enough for tiered compilation to settle on every path J drives: with the 3 s of the other scenarios the
            // JIT still took a fifth of the site's CPU in the first flood phase (perf, during F right after the start).
            var warmup = TimeSpan.FromSeconds(Math.Max(FloodWarmupSeconds, o.Warmup.TotalSeconds));
            Console.WriteLine($"J warm-up: {warmup.TotalSeconds:F0} s per app, {o.FloodClients[0]} flood clients beside paced GET and unlock clients");
            foreach (var isSite in new[] { true, false })
            {
                await FloodPhaseAsync(isSite, o.FloodClients[0], paced: true, 0, warmup, siteHttp, stockHttp);
            }
            var phases = o.FloodPacing.SelectMany(paced => o.FloodClients.Prepend(0).Select(clients => (Paced: paced, Clients: clients))).ToList();
            for (var p = 0; p < phases.Count; p++)
            {
                foreach (var isSite in p % 2 == 0 ? new[] { true, false } : [false, true])
                {
                    var phase = await FloodPhaseAsync(isSite, phases[p].Clients, phases[p].Paced, 1, o.Duration, siteHttp, stockHttp);
                    _flood.Add(phase);
                    PrintFloodPhase(phase);
                }
            }
            Console.WriteLine($"J done in {watch.Elapsed.TotalSeconds:F0} s (warm-up, phases, drains and idle waits)");
        }
        finally
        {
            fake.SmsLatency = o.SmsLatency;
        }
    }

    private async Task<FloodPhase> FloodPhaseAsync(bool isSite, int floodClients, bool paced, int repeat, TimeSpan duration, HttpClient siteHttp, HttpClient stockHttp)
    {
        var groups = new List<FloodGroup> { new(FloodPhase.Get, FloodGetClients, _ => GetFormOutcome(isSite ? SiteLogin : StockLogin), FreshCookiesEachOp: true,
            paced ? PacedGetInterval : null) };
        if (isSite)
        {
            groups.Add(new(FloodPhase.Unlock, FloodUnlockClients, client => UnlockStory("j", client), FreshCookiesEachOp: true,
                paced ? PacedUnlockInterval : null));
        }
        if (floodClients > 0)
        {
            // One GET of the form per client for its token, then POSTs only, cookies kept (see bench/README.md).
            groups.Add(new(FloodPhase.Login, floodClients, _ => isSite ? SiteFloodLogin() : StockFloodLogin(), FreshCookiesEachOp: false));
        }
        var app = isSite ? _site! : _stock!;
        var ceiling = new List<double>();
        var recorded = floodClients > 0 && repeat > 0;
        if (recorded)
        {
            MeasureParallelHash(ceiling);
        }
        var phase = await FloodRunner.RunAsync(app, isSite ? siteHttp : stockHttp, repeat, floodClients, paced, duration, groups);
        await WaitIdleAsync(app);
        if (recorded)
        {
            MeasureParallelHash(ceiling);
        }
        return ceiling.Count == 0 ? phase : phase with { Ceiling = LoadRunner.Median(ceiling) };
    }

    /// <summary>After a phase, waits (at most 30 s) until the server uses under a quarter of a core: work for requests
    /// whose client gave up (the 30 s HTTP timeout) must not run into the next phase, which may be the other app's.</summary>
    private static async Task WaitIdleAsync(AppProcess app)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(30))
        {
            var before = app.CpuSeconds();
            await Task.Delay(250);
            if ((app.CpuSeconds() - before) / 0.25 < 0.25)
            {
                return;
            }
        }
    }

    private static void PrintFloodPhase(FloodPhase phase)
    {
        var line = new System.Text.StringBuilder(string.Create(CultureInfo.InvariantCulture,
            $"J {phase.App,-5} {phase.Phase,-19}: {phase.Seconds,5:F1} s, cpu {phase.ServerCores:F2} cores (load gen {phase.LoadGenCores:F2}), ceiling {phase.Ceiling:F1}/s"));
        foreach (var g in phase.Groups)
        {
            line.Append(CultureInfo.InvariantCulture, $" | {g.Name} ×{g.Clients}: {g.OpsPerSecond:F1} ops/s p50 {g.P50Ms:F1} p99 {g.P99Ms:F1} max {g.MaxMs:F0} ms");
            if (g.Name == FloodPhase.Login)
            {
                line.Append(CultureInfo.InvariantCulture, $", done {g.DonePerSecond:F1}/s, busy {g.BusyShare:P0}");
            }
            line.Append(CultureInfo.InvariantCulture, $", errors {g.Errors}");
        }
        Console.WriteLine(line.ToString());
        foreach (var sample in phase.Groups.SelectMany(g => g.ErrorSamples.Take(2).Select(e => $"{g.Name}: {e}")))
        {
            Console.WriteLine("    error: " + sample);
        }
    }

    private static FloodOperation GetFormOutcome(string path) => async (b, ct) =>
    {
        var answer = await b.GetAsync(path, ct);
        return answer.Status == 200 && Browser.AntiforgeryToken(answer.Body) is not null
            ? Outcome.Done
            : Outcome.Unexpected($"GET {path}: expected 200 with a form", answer);
    };

    /// <summary>Site flood: a random unknown email each time (the site runs its dummy hash; a known one would lock).</summary>
    private static FloodOperation SiteFloodLogin() => FloodLogin(SiteLogin,
        () => SiteFields($"nobody-{Guid.NewGuid():N}@bench.test", WrongPassword),
        answer => Expect(answer, 302, SiteLogin) is null, "expected 302 -> /login");

    /// <summary>Stock flood: its known user with a wrong password (it never locks; an unknown email is not hashed at all).</summary>
    private static FloodOperation StockFloodLogin() => FloodLogin(StockLogin,
        () => StockFields(StockUser, WrongPassword),
        answer => answer.Status == 200 && answer.Body.Contains("Invalid login attempt", StringComparison.Ordinal), "expected 200 with 'Invalid login attempt'");

    /// <summary>A flood client: GETs the form once for its antiforgery token (again only after an unexpected answer),
    /// then only POSTs wrong logins with it.</summary>
    private static FloodOperation FloodLogin(string path, Func<KeyValuePair<string, string>[]> fields, Func<Answer, bool> failedNormally, string expected)
    {
        string? token = null;
        return async (b, ct) =>
        {
            if (token is null)
            {
                var form = await b.GetAsync(path, ct);
                token = form.Status == 200 ? Browser.AntiforgeryToken(form.Body) : null;
                if (token is null)
                {
                    return Outcome.Unexpected($"GET {path}: expected 200 with a form", form);
                }
            }
            var answer = await b.PostFormAsync(path, fields().Append(new("__RequestVerificationToken", token)), ct);
            if (failedNormally(answer))
            {
                return Outcome.Done;
            }
            var outcome = Outcome.BusyOrUnexpected(expected, answer);
            if (outcome.Kind == OutcomeKind.Error)
            {
                token = null;
            }
            return outcome;
        };
    }

    /// <summary>G: many clients ask for a new code for their locked account while RingCentral takes SmsLatency to answer.</summary>
    private async Task<RunResult> RunResendAsync(HttpClient http, int repeat)
    {
        var textsBefore = fake.Messages.Count;
        var tokensBefore = fake.TokenRequests;
        var run = await LoadRunner.RunAsync("G", _site!, http, repeat, o.ResendClients, o.Duration, client => async (b, ct) =>
            Expect(await b.SubmitFormAsync("/unlock", "/unlock?handler=Resend", [new("Input.Email", PoolEmail("g", client))], ct), 302, "/unlock"));
        var texts = fake.Messages.Count - textsBefore;
        run.Extra["texts/s"] = texts / run.ElapsedSeconds;
        run.Extra["limit texts/s"] = o.ResendClients / o.SmsLatency.TotalSeconds;
        run.Extra["token requests in run"] = fake.TokenRequests - tokensBefore;
        run.Extra["latency ms"] = o.SmsLatency.TotalMilliseconds;
        return run;
    }

    private static async Task<string?> GetForm(Browser b, string path, CancellationToken ct)
    {
        var answer = await b.GetAsync(path, ct);
        return answer.Status == 200 && Browser.AntiforgeryToken(answer.Body) is not null ? null : $"GET {path}: expected 200 with a form, got {answer}";
    }

    private static string? Expect(Answer answer, int status, string location) =>
        answer.Status == status && string.Equals(answer.Location, location, StringComparison.OrdinalIgnoreCase)
            ? null
            : $"expected {status} -> {location}, got {answer}";

    private static KeyValuePair<string, string>[] SiteFields(string email, string password) =>
        [new("Input.Email", email), new("Input.Password", password)];

    private static KeyValuePair<string, string>[] StockFields(string email, string password) =>
        [new("Input.Email", email), new("Input.Password", password), new("Input.RememberMe", "false")];

    public static string PoolEmail(string pool, int i) => $"{pool}{i}@bench.test";

    /// <summary>Distinct E.164 numbers per pool: +1 650 253 1xxx (d), 2xxx (f), 3xxx (g), 4xxx (j), +1 650 254 xxxx (c, b).</summary>
    public static string PoolPhone(string pool, int i) => pool switch
    {
        "d" => $"+16502531{i:D3}",
        "f" => $"+16502532{i:D3}",
        "g" => $"+16502533{i:D3}",
        "j" => $"+16502534{i:D3}",
        _ => $"+1650254{i % 10000:D4}",
    };

    // ---- processes and seeding ---------------------------------------------------------------------------

    private async Task<AppProcess> StartSiteAsync(string? existingRoot = null, string? dll = null)
    {
        if (engine != "site")
        {
            var engineEnv = SiteEnvironment();
            engineEnv["Database__MigrateAtStart"] = "false";
            return await AppProcess.StartAsync(engine, o.SiteDll, Path.GetDirectoryName(o.SiteDll)!, engineEnv, AppProcess.FreePort(), SiteLogin,
                Path.Combine(logDir, $"site-{engine}.log"));
        }
        var n = Interlocked.Increment(ref _instance);
        var root = existingRoot ?? Path.Combine(work, $"site-{n}");
        _siteRoot = root;
        Directory.CreateDirectory(root);
        _connectionString = $"Data Source={Path.Combine(root, "site.db")}";
        dll ??= o.SiteDll;
        var environment = SiteEnvironment();
        environment["ASPNETCORE_CONTENTROOT"] = Path.GetDirectoryName(dll)!;
        var app = await AppProcess.StartAsync("site", dll, Path.GetDirectoryName(dll)!, environment, AppProcess.FreePort(), SiteLogin,
            Path.Combine(logDir, "site.log"));
        _siteDb = SiteDatabase.Sqlite(Path.Combine(root, "site.db"));
        return app;
    }

    /// <summary>One key-ring key for the whole run: a restart on the same database must open the key ring it stored.</summary>
    private readonly string _keyRingKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    private const string SiteEnvPrefix = "ITF_SITE_ENV_";

    private Dictionary<string, string> SiteEnvironment()
    {
        var env = new Dictionary<string, string>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            // The content root is the build output (the dll's folder, also the working directory), as for the stock
            // app: appsettings.json is read from there (logging levels, TwoFactor, Password, Phone). Only the database
            // lives in the temp folder. (A temp content root meant no appsettings.json: every request then wrote ten
            // Information lines to the console, ~20% of A's CPU, and the stock app wrote none.)
            ["ASPNETCORE_CONTENTROOT"] = Path.GetDirectoryName(o.SiteDll)!,
            ["ConnectionStrings__Site"] = _connectionString!,
            ["RINGCENTRAL_SERVER_URL"] = fake.Url,
            ["RINGCENTRAL_CLIENT_ID"] = fake.ClientId,
            ["RINGCENTRAL_CLIENT_SECRET"] = fake.ClientSecret,
            ["RINGCENTRAL_JWT"] = fake.Jwt,
            ["RINGCENTRAL_FROM_NUMBER"] = fake.FromNumber,
            ["DotEnv__Disabled"] = "true",
            ["RateLimits__Enabled"] = "false",
            ["TwoFactor__CodeHashKey"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
            // Required with PostgreSQL outside Development; on SQLite it keeps the generated key out of the build output.
            ["DataProtection__KeyEncryptionKey"] = _keyRingKey,
            ["TwoFactor__ResendCooldown"] = "00:00:00",
            ["TwoFactor__MaxTextsPerHour"] = "0",
            ["TwoFactor__MaxTextsPerDay"] = "0",
            ["TwoFactor__MaxTextsPerNumberPerHour"] = "0",
            ["TwoFactor__MaxTextsPerNumberPerDay"] = "0",
        };
        if (pg is not null)
        {
            env["Database__Provider"] = "PostgreSQL";
        }
        // ITF_SITE_ENV_<NAME>=<value> in the bench's environment reaches the site alone as <NAME>=<value>, so a setting
        // (e.g. a GC knob: ITF_SITE_ENV_DOTNET_GCgen0size) can be compared against the stock app in one run.
        foreach (System.Collections.DictionaryEntry entry in Environment.GetEnvironmentVariables())
        {
            if (entry.Key is string key && key.StartsWith(SiteEnvPrefix, StringComparison.Ordinal) && key.Length > SiteEnvPrefix.Length)
            {
                env[key[SiteEnvPrefix.Length..]] = entry.Value as string ?? "";
            }
        }
        return env;
    }

    private async Task<AppProcess> StartStockAsync(string? dll = null)
    {
        dll ??= StockDll;
        var n = Interlocked.Increment(ref _instance);
        var db = Path.Combine(work, $"stock-{n}.db");
        // The template ships app.db with its schema already migrated; each start gets a fresh copy.
        File.Copy(Path.Combine(o.StockDir, "app.db"), db);
        var env = new Dictionary<string, string>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["ConnectionStrings__DefaultConnection"] = $"DataSource={db};Cache=Shared",
        };
        var app = await AppProcess.StartAsync("stock", dll, Path.GetDirectoryName(dll)!, env, AppProcess.FreePort(), StockLogin,
            Path.Combine(logDir, "stock.log"));
        StockDb = db;
        return app;
    }

    private string StockDb { get; set; } = "";

    private static HttpClient NewHttpClient(AppProcess app)
    {
        var http = new HttpClient(new SocketsHttpHandler
        {
            UseCookies = false,
            AllowAutoRedirect = false,
            MaxConnectionsPerServer = int.MaxValue,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
        })
        {
            BaseAddress = app.BaseAddress,
            Timeout = TimeSpan.FromSeconds(30),
        };
        http.DefaultRequestHeaders.Add("X-Forwarded-Proto", "https");
        return http;
    }

    private async Task SeedSiteAsync(HttpClient http)
    {
        var watch = Stopwatch.StartNew();
        var browser = new Browser(http);
        var signup = await browser.SubmitFormAsync("/signup", "/signup",
        [
            new("Input.Email", SiteUser), new("Input.Password", Password), new("Input.ConfirmPassword", Password),
            new("Input.Phone", "(650) 253-0000"), new("Input.FirstName", "Bench"), new("Input.LastName", "User"),
        ], CancellationToken.None);
        if (string.Equals(signup.Location, "/confirm-phone", StringComparison.OrdinalIgnoreCase))
        {
            // TwoFactor:RequireConfirmedPhone: confirm the number with the texted code, as a person would.
            var code = fake.LastCodeSentTo("+16502530000") ?? throw new InvalidOperationException("signup: no phone confirmation code texted");
            var confirm = await browser.SubmitFormAsync("/confirm-phone", "/confirm-phone", [new("Input.Email", SiteUser), new("Input.Code", code)], CancellationToken.None);
            // Confirmed: on to /login, or first to the recovery codes made with the confirmation (issue 17).
            if (!string.Equals(confirm.Location, "/recovery-codes", StringComparison.OrdinalIgnoreCase))
            {
                Require(confirm, 302, "/login", "site phone confirmation");
            }
            if (engine == "site")
            {
                _notes.Add("Site: signup answered /confirm-phone; the bench confirmed the number with the texted code (the cloned pool users copy PhoneNumberConfirmed from that row).");
            }
        }
        else
        {
            Require(signup, 302, "/login", "site signup");
        }

        // Pools cloned from the signed-up row (same password hash), so no extra PBKDF2 work at setup.
        await _siteDb!.CloneUsersAsync(SiteUser, Enumerable.Range(0, o.Runs("C") ? o.FailurePool : 0).Select(i => (PoolEmail("c", i), PoolPhone("c", i)))
            .Concat(Enumerable.Range(0, o.Clients).Select(i => (PoolEmail("b", i), PoolPhone("b", i))))
            .Concat(Enumerable.Range(0, o.Clients).Select(i => (PoolEmail("d", i), PoolPhone("d", i))))
            .Concat(Enumerable.Range(0, o.Clients).Select(i => (PoolEmail("f", i), PoolPhone("f", i))))
            .Concat(Enumerable.Range(0, o.ResendClients).Select(i => (PoolEmail("g", i), PoolPhone("g", i))))
            .Concat(Enumerable.Range(0, o.Runs("J") ? FloodUnlockClients : 0).Select(i => (PoolEmail("j", i), PoolPhone("j", i)))));

        // D users are locked the real way: three wrong passwords; the third answers /unlock and texts a code. All
        // clients at once can exceed the hashing gate's queue (issue 16): a busy answer changed nothing, so the same
        // attempt is made again a moment later.
        await Task.WhenAll(Enumerable.Range(0, o.Clients).Select(async i =>
        {
            var b = new Browser(http);
            for (var attempt = 1; attempt <= 3; attempt++)
            {
                Answer answer;
                for (var tries = 1; ; tries++)
                {
                    b.ClearCookies();
                    answer = await b.SubmitFormAsync(SiteLogin, SiteLogin, SiteFields(PoolEmail("d", i), WrongPassword), CancellationToken.None);
                    if (!Outcome.IsBusy(answer) || tries == 100)
                    {
                        break;
                    }
                    await Task.Delay(TimeSpan.FromMilliseconds(100 + Random.Shared.Next(200)));
                }
                Require(answer, 302, attempt < 3 ? "/login" : "/unlock", $"locking d{i} attempt {attempt}");
            }
        }));
        await _siteDb.CaptureLockValueAsync(PoolEmail("d", 0));
        foreach (var i in Enumerable.Range(0, o.ResendClients))
        {
            await _siteDb.LockAsync(PoolEmail("g", i));
        }
        _siteHash = await _siteDb.PasswordHashAsync(SiteUser);
        Console.WriteLine($"{engine} seeded in {watch.Elapsed.TotalSeconds:F1} s ({(o.Runs("C") ? o.FailurePool : 0) + 3 * o.Clients + o.ResendClients + (o.Runs("J") ? FloodUnlockClients : 0) + 1} users; {fake.Messages.Count} texts so far)");
    }

    private async Task SeedStockAsync(HttpClient http)
    {
        var browser = new Browser(http);
        foreach (var email in Enumerable.Range(0, o.Clients).Select(i => PoolEmail("b", i)).Prepend(StockUser))
        {
            browser.ClearCookies();
            var register = await browser.SubmitFormAsync("/Identity/Account/Register", "/Identity/Account/Register",
                [new("Input.Email", email), new("Input.Password", Password), new("Input.ConfirmPassword", Password)], CancellationToken.None);
            if (register.Status != 302)
            {
                throw new InvalidOperationException($"stock register {email}: expected 302, got {register}");
            }
        }
        // The template sets RequireConfirmedAccount = true and has no email sender: confirm in its database.
        await SiteDatabase.ExecuteAsync(StockDb, "UPDATE AspNetUsers SET EmailConfirmed = 1");
        _notes.Add("Stock app: users registered through /Identity/Account/Register, then EmailConfirmed=1 set in its SQLite file (the template requires a confirmed account and has no email sender). Program.cs is not modified.");
    }

    private async Task ResetFailuresAsync()
    {
        Interlocked.Exchange(ref _failureCursor, 0);
        await _siteDb!.ExecuteAsync("UPDATE \"Users\" SET \"AccessFailedCount\" = 0 WHERE \"Email\" LIKE 'c%@bench.test'");
    }

    private void MeasureHash(int count)
    {
        if (_hashDescription.Length == 0)
        {
            _hashDescription = HashTiming.Describe(_siteHash);
        }
        var (wall, cpu) = HashTiming.VerifyMilliseconds(_siteHash, Password, count);
        _hashMs.AddRange(wall);
        _hashCpuMs.Add(cpu);
    }

    /// <summary>A flood phase's ceiling: two batches of as many threads as cores verifying at once (4 verifies each),
    /// while both apps are idle.</summary>
    private void MeasureParallelHash(List<double> rates)
    {
        for (var i = 0; i < 2; i++)
        {
            rates.Add(HashTiming.ParallelVerifiesPerSecond(_siteHash, Password, Environment.ProcessorCount, 4));
        }
    }

    private static void Require(Answer answer, int status, string location, string what)
    {
        if (answer.Status != status || !string.Equals(answer.Location, location, StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidOperationException($"{what}: expected {status} -> {location}, got {answer}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        _http?.Dispose();
        if (_site is not null)
        {
            await _site.DisposeAsync();
        }
        if (_stock is not null)
        {
            await _stock.DisposeAsync();
        }
    }
}
