using IdentityTwoFactor.FakeRingCentral;

namespace IdentityTwoFactor.Bench.LoadGen;

/// <summary>
/// <c>--engines sqlite,postgres</c>: the same site build on each engine, both running at once (like site and stock in the
/// main run), each on a database migrated with <c>--migrate-only</c> and started with <c>Database__MigrateAtStart=false</c>.
/// Runs H, then B × repeats and D/F × slow repeats, the engines alternating (and which goes first alternating per repeat).
/// </summary>
internal static class Engines
{
    private static readonly string[] Fast = ["A", "B"];
    private static readonly string[] Slow = ["D", "F"];

    public static async Task<string> RunAsync(BenchOptions o, FakeRingCentralServer fake, string work, string logDir)
    {
        PostgresCluster? pg = null;
        var benches = new List<global::Bench>();
        try
        {
            if (o.Engines.Contains("postgres"))
            {
                pg = await PostgresCluster.StartAsync(work);
                Console.WriteLine($"bench: {pg.Version} on 127.0.0.1:{pg.Port}");
            }
            benches.AddRange(o.Engines.Select(e => new global::Bench(o, fake, work, logDir, e, e == "postgres" ? pg : null)));
            foreach (var bench in benches)
            {
                await bench.PrepareDatabaseAsync();
            }
            for (var r = 0; r < (o.Runs("H") ? o.StartupRepeats : 0); r++)
            {
                foreach (var bench in Order(benches, r))
                {
                    await bench.MeasureStartupAsync();
                }
            }
            foreach (var bench in benches)
            {
                await bench.StartAndSeedAsync();
            }
            var fast = Fast.Where(o.Runs).ToArray();
            var slow = Slow.Where(o.Runs).ToArray();
            Console.WriteLine($"warm-up: {o.Warmup.TotalSeconds:F0} s of each scenario on each engine");
            foreach (var scenario in fast.Concat(slow))
            {
                foreach (var bench in benches)
                {
                    await bench.RunEngineScenarioAsync(scenario, 0, o.Warmup);
                }
            }
            for (var r = 1; r <= o.Repeats; r++)
            {
                foreach (var scenario in fast)
                {
                    foreach (var bench in Order(benches, r))
                    {
                        await bench.RunEngineScenarioAsync(scenario, r, o.Duration);
                    }
                }
            }
            for (var r = 1; r <= o.SlowRepeats; r++)
            {
                foreach (var scenario in slow)
                {
                    foreach (var bench in Order(benches, r))
                    {
                        await bench.RunEngineScenarioAsync(scenario, r, o.Duration);
                    }
                }
            }
            return Report.BuildEngines(o, benches, pg?.Version);
        }
        finally
        {
            foreach (var bench in benches)
            {
                await bench.DisposeAsync();
            }
            if (pg is not null)
            {
                await pg.DisposeAsync();
            }
        }
    }

    private static IEnumerable<global::Bench> Order(List<global::Bench> benches, int repeat) => repeat % 2 == 1 ? benches : Enumerable.Reverse(benches);
}
