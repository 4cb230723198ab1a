using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using IdentityTwoFactor.Bench.Micro;

// bench/micro.sh runs every benchmark; pass BenchmarkDotNet arguments to choose, e.g. --filter '*Code*'.
// In-process toolchain: no generated project, so the repo's Directory.Build.props (warnings as errors) never sees
// BenchmarkDotNet's generated code, and a run takes about a minute.
var config = DefaultConfig.Instance
    .AddJob(Job.ShortRun.WithToolchain(InProcessEmitToolchain.Instance))
    .WithArtifactsPath(Path.Combine(AppContext.BaseDirectory, "BenchmarkDotNet.Artifacts"))
    .WithOptions(ConfigOptions.JoinSummary);
var summaries = BenchmarkSwitcher.FromAssembly(typeof(CodeBenchmarks).Assembly).Run(args.Length == 0 ? ["--filter", "*"] : args, config);
return summaries.Any(s => s.HasCriticalValidationErrors || s.Reports.Any(r => !r.Success)) ? 1 : 0;
