using System.ComponentModel.DataAnnotations;
using System.Data.Common;
using System.Globalization;
using System.Runtime.CompilerServices;
using IdentityTwoFactor.Data.KeyRing;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Migrations;
using IdentityTwoFactor.Data.Outage;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Npgsql;

namespace IdentityTwoFactor.Data;

/// <summary>Section <c>Database</c>.</summary>
public sealed class DatabaseOptions
{
    public const string Section = "Database";

    /// <summary><c>Sqlite</c> (default, one machine) or <c>PostgreSQL</c> (several instances on one database).</summary>
    [RegularExpression("^(Sqlite|PostgreSQL)$", ErrorMessage = "Database:Provider must be Sqlite or PostgreSQL.")]
    public string Provider { get; set; } = "Sqlite";

    /// <summary>Apply pending migrations at start. Turn off when a deployment migrates once with --migrate-only.</summary>
    public bool MigrateAtStart { get; set; } = true;

    // The waits below bound what a request can spend on an unavailable database (a 503 then); README "Running several
    // instances" says how they were chosen (the bench's heaviest write scenario: whole requests under 0.8 s at p99).

    /// <summary>The longest wait to open a connection (PostgreSQL: also for a free connection in the pool). Whole seconds.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:05:00", ErrorMessage = "Database:OpenTimeout must be between 00:00:01 and 00:05:00 (whole seconds).")]
    public TimeSpan OpenTimeout { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>The longest a statement may run (SQLite: also how long it waits for another writer). Whole seconds.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:05:00", ErrorMessage = "Database:CommandTimeout must be between 00:00:01 and 00:05:00 (whole seconds).")]
    public TimeSpan CommandTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>SQLite only: <c>Normal</c> (default) or <c>Full</c>, SQLite's <c>synchronous</c> for every connection. In WAL
    /// mode <c>Full</c> flushes the log to disk at every commit, while the write holds the database's one writer turn (about
    /// four flushes per sign-in); <c>Normal</c> flushes at checkpoints only: a commit can be lost to a power cut or an
    /// operating-system crash (not to a crash of the site), never corrupted. Decision 0014.</summary>
    [RegularExpression("^(Normal|Full)$", ErrorMessage = "Database:SqliteSynchronous must be Normal or Full.")]
    public string SqliteSynchronous { get; set; } = "Normal";

    /// <summary>How long <c>/readyz</c> waits for the database before answering 503.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:01:00", ErrorMessage = "Database:ReadinessTimeout must be between 00:00:00.100 and 00:01:00.")]
    public TimeSpan ReadinessTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How long the site keeps trying at start while the database does not answer (serving 503 meanwhile)
    /// before it stops with exit code 1.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00", ErrorMessage = "Database:StartupWait must be between 00:00:01 and 1.00:00:00.")]
    public TimeSpan StartupWait { get; set; } = TimeSpan.FromMinutes(10);

    internal int OpenTimeoutSeconds => Math.Max(1, (int)Math.Ceiling(OpenTimeout.TotalSeconds));

    internal int CommandTimeoutSeconds => Math.Max(1, (int)Math.Ceiling(CommandTimeout.TotalSeconds));
}

public static class DatabaseSetup
{
    public const string DefaultConnectionString = "Data Source=App_Data/site.db";

    /// <summary>SQLite by default (a file under the content root) or PostgreSQL, through EF Core with committed migrations
    /// for each; Data Protection keys in the same database, encrypted with a key kept outside it (<see cref="KeyRingSetup"/>);
    /// a readiness check for load balancers.</summary>
    /// <remarks>The contexts run on the compiled models in Data/CompiledModels (see <see cref="MigrateSiteDatabase"/>), and
    /// come from EF Core's context pool: their options are built once (they depend on configuration only; with scoped
    /// options every request that resolves a DbContext rebuilt them, ~7% of a GET /login's CPU), and a context with its
    /// internal services is reset and reused instead of built for each scope (a sign-in resolves one for the page and one
    /// for its session row, in a scope of its own). <see cref="SiteDbContext"/> keeps no state of its own, so a reset
    /// context is a fresh one.</remarks>
    public static IHostApplicationBuilder AddSiteDatabase(this IHostApplicationBuilder builder)
    {
        var options = builder.Configuration.GetSection(DatabaseOptions.Section).Get<DatabaseOptions>() ?? new DatabaseOptions();
        builder.Services.AddOptions<DatabaseOptions>().BindConfiguration(DatabaseOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        var configured = builder.Configuration.GetConnectionString("Site");

        if (string.Equals(options.Provider, "PostgreSQL", StringComparison.Ordinal))
        {
            if (string.IsNullOrWhiteSpace(configured))
            {
                throw new SiteConfigurationException(
                    "Database:Provider is PostgreSQL but ConnectionStrings:Site is empty: set ConnectionStrings__Site to a PostgreSQL connection string (Host=...;Database=...;Username=...;Password=...).");
            }
            var connectionString = WithTimeouts(configured, options);
            builder.Services.AddDbContextPool<SiteDbContext, PostgresSiteDbContext>((services, o) => Outages(o
                    .UseNpgsql(connectionString, npgsql => npgsql
                        .CommandTimeout(options.CommandTimeoutSeconds)
                        .ExecutionStrategy(dependencies => new RetryOnRestartStrategy(dependencies)))
                    .UseModel(CompiledModels.Postgres.PostgresSiteDbContextModel.Instance), services));
        }
        else
        {
            var connectionString = ResolveSqlitePath(
                string.IsNullOrWhiteSpace(configured) ? DefaultConnectionString : configured,
                builder.Environment.ContentRootPath);
            builder.Services.AddDbContextPool<SiteDbContext>((services, o) => Outages(o
                    .UseSqlite(connectionString, sqlite => sqlite.CommandTimeout(options.CommandTimeoutSeconds))
                    .WithoutSqliteFunctions()
                    .UseModel(CompiledModels.Sqlite.SiteDbContextModel.Instance)
                    .AddInterceptors(new SqliteConnectionPragmas(options.CommandTimeoutSeconds * 1000, options.SqliteSynchronous), services.GetRequiredService<SqliteWriteGate>()), services));
            // One queue per process for the one SQLite file: writers wait in order instead of in SQLite's busy sleeps.
            builder.Services.AddSingleton(services => new SqliteWriteGate(
                TimeSpan.FromSeconds(options.CommandTimeoutSeconds), services.GetRequiredService<ILogger<SqliteWriteGate>>()));
        }

        builder.AddEncryptedKeyRing();
        builder.Services.AddHealthChecks().AddCheck<DatabaseReadyCheck>("database", tags: ["ready"]);
        builder.Services.AddSingleton<DatabaseOutageMonitor>();
        builder.Services.AddSingleton<DatabaseOutageMonitor.Interceptor>();
        builder.Services.AddSingleton<DatabaseStartup>();
        builder.Services.AddSingleton<DatabaseStartup.Gate>();
        builder.Services.AddExceptionHandler<DatabaseOutageHandler>();
        builder.Services.AddExceptionHandler<IdentityTwoFactor.Identity.SiteBusyHandler>();
        return builder;
    }

    /// <summary>The outage monitor sees every command; EF Core's own error records (each with a stack trace, several per
    /// failed request) go to Debug: an outage is logged once per request by <see cref="DatabaseOutageHandler"/>, and any
    /// other failure reaches the exception handler, which logs it with its trace.</summary>
    private static DbContextOptionsBuilder Outages(DbContextOptionsBuilder options, IServiceProvider services) => options
        .AddInterceptors(services.GetRequiredService<DatabaseOutageMonitor.Interceptor>(), services.GetRequiredService<DatabaseStartup.Gate>())
        .ConfigureWarnings(w => w.Log(
            (RelationalEventId.ConnectionError, LogLevel.Debug),
            (RelationalEventId.CommandError, LogLevel.Debug),
            (RelationalEventId.TransactionError, LogLevel.Debug),
            (CoreEventId.QueryIterationFailed, LogLevel.Debug),
            (CoreEventId.SaveChangesFailed, LogLevel.Debug),
            (CoreEventId.ExecutionStrategyRetrying, LogLevel.Information)));

    /// <summary>PostgreSQL: the open and command timeouts from <see cref="DatabaseOptions"/> (they replace any in the
    /// connection string), and no wait for a cancelled statement's acknowledgement past its timeout.</summary>
    private static string WithTimeouts(string connectionString, DatabaseOptions options)
    {
        NpgsqlConnectionStringBuilder csb;
        try
        {
            csb = new NpgsqlConnectionStringBuilder(connectionString);
        }
        catch (ArgumentException)
        {
            return connectionString; // StartupErrors.ValidateSettingsAtStart says what is wrong with it.
        }
        csb.Timeout = options.OpenTimeoutSeconds;
        csb.CommandTimeout = options.CommandTimeoutSeconds;
        csb.CancellationTimeout = -1;
        return csb.ConnectionString;
    }

    /// <summary>Applies pending migrations (unless Database:MigrateAtStart is false) and, on SQLite, switches the file
    /// to WAL (the mode is stored in the file).</summary>
    /// <remarks>
    /// Startup cost: the site runs on the compiled models in Data/CompiledModels (no model building at start), and
    /// <see cref="RelationalDatabaseFacadeExtensions.Migrate(DatabaseFacade)"/> always builds the design-time model from
    /// OnModelCreating (to check for model changes missing a migration), so it is called only when a migration is
    /// pending; the history table is read with a plain query (<see cref="MigrationHistory"/>), which needs no model.
    /// Whenever it does run, the compiled model is checked against that design-time model
    /// (<see cref="EnsureCompiledModelIsCurrent"/>): a model change without <c>dotnet ef dbcontext optimize</c> stops the
    /// site (and every test on a fresh database) with the commands to run.
    /// </remarks>
    public static WebApplication MigrateSiteDatabase(this WebApplication app, bool force = false)
    {
        MigrateSiteDatabase(app.Services, app.Configuration, force);
        return app;
    }

    /// <summary>Migrations, then the key ring check, while the host starts (in the site's own process) or before it
    /// (hosted by a test), and, when the database does not answer, again in the background while the site serves 503
    /// pages (<see cref="DatabaseStartup"/>).</summary>
    public static WebApplication PrepareSiteDatabase(this WebApplication app)
    {
        var inOwnProcess = System.Reflection.Assembly.GetEntryAssembly() == typeof(DatabaseSetup).Assembly;
        var services = app.Services;
        var configuration = app.Configuration;
        services.GetRequiredService<DatabaseStartup>().Start(() =>
        {
            MigrateSiteDatabase(services, configuration, force: false);
            KeyRingSetup.CheckStoredKeyRing(services);
            // Not loading Data Protection's key ring here: a first request may already hold its lock, waiting for this.
            if (inOwnProcess)
            {
                CollectStartupGarbage();
            }
        }, inBackground: inOwnProcess);
        return app;
    }

    /// <summary>One full, compacting collection once the start-up work is done, in the site's own process.</summary>
    /// <remarks>
    /// Start-up allocates a lot that dies at once (configuration and options binding, the DI container, EF Core's
    /// services and compiled model, the key ring check, Razor's page and route tables), and the few collections during
    /// start promote much of it into generation 2 before it dies. The first burst of real traffic then soon needs a
    /// background generation-2 collection, and while that one runs, generation 0 goes on filling fresh regions: the GC's
    /// committed memory went from 20 to 66-72 MB within a second of the first 16-client load in the benchmark, and that
    /// second set the process's peak resident memory for the whole run (225 MiB against the stock app's 221). With
    /// this collection, the same first burst is served by generation-0 and -1 collections alone (committed memory at
    /// most 42 MB) and the peak was 198 MiB against the stock app's 222 in the same run (`--only A`, 2026-12-04). It
    /// costs one pause of a few milliseconds on a heap of about 20 MB, at the end of the start-up task, usually before
    /// the first requests. Not in test hosts (the process is the test runner's, and its heap is not the site's).
    /// </remarks>
    private static void CollectStartupGarbage() =>
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);

    private static void MigrateSiteDatabase(IServiceProvider services, IConfiguration configuration, bool force)
    {
        var options = configuration.GetSection(DatabaseOptions.Section).Get<DatabaseOptions>() ?? new DatabaseOptions();
        using var scope = services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<SiteDbContext>();
        if (!force && !options.MigrateAtStart)
        {
            // Not migrating (several instances: one --migrate-only run migrates), but reading the history now, in the
            // start, so the first /readyz of a new instance answers from this (EF Core's own history read built a model
            // first and took seconds on a cold, busy machine: /readyz answered 503 after Database:ReadinessTimeout).
            services.GetRequiredService<DatabaseStartup>().MigrationsApplied = db.Database.PendingMigrations().Count == 0;
            return;
        }
        if (db.Database.IsSqlite())
        {
            var source = new SqliteConnectionStringBuilder(db.Database.GetConnectionString()).DataSource;
            var folder = Path.GetDirectoryName(Path.GetFullPath(source));
            if (!string.IsNullOrEmpty(folder))
            {
                Directory.CreateDirectory(folder);
            }
        }
        if (db.Database.PendingMigrations().Count > 0)
        {
            EnsureCompiledModelIsCurrent(db);
            db.Database.Migrate();
        }
        if (db.Database.IsSqlite())
        {
            db.Database.ExecuteSqlRaw("PRAGMA journal_mode=WAL;");
        }
        services.GetRequiredService<DatabaseStartup>().MigrationsApplied = true;
    }

    /// <summary>Throws when the compiled model the site runs on differs from the one OnModelCreating builds.</summary>
    internal static void EnsureCompiledModelIsCurrent(SiteDbContext db)
    {
        var compiled = Describe(db.Model);
        var designTime = Describe(db.GetService<IDesignTimeModel>().Model);
        if (!compiled.SequenceEqual(designTime))
        {
            var context = db is PostgresSiteDbContext ? "PostgresSiteDbContext" : "SiteDbContext";
            var folder = db is PostgresSiteDbContext ? "Postgres" : "Sqlite";
            throw new InvalidOperationException(
                $"The compiled EF model (Data/CompiledModels/{folder}) does not match {context}'s OnModelCreating: regenerate it with " +
                $"`dotnet ef dbcontext optimize -p src/Site -c {context} -o Data/CompiledModels/{folder} -n IdentityTwoFactor.Data.CompiledModels.{folder}` " +
                $"and delete the generated *AssemblyAttributes.cs (DatabaseSetup passes the model with UseModel). Compiled only: " +
                $"[{string.Join("; ", compiled.Except(designTime))}]; OnModelCreating only: [{string.Join("; ", designTime.Except(compiled))}]");
        }
    }

    /// <summary>Tables, columns (type, nullability, length, concurrency), keys, indexes and foreign keys, one line each.</summary>
    private static List<string> Describe(IModel model)
    {
        var lines = new List<string>();
        foreach (var entity in model.GetEntityTypes())
        {
            var table = StoreObjectIdentifier.Table(entity.GetTableName()!, entity.GetSchema());
            var e = entity.ShortName();
            lines.Add($"{e} -> {table.DisplayName()}");
            lines.AddRange(entity.GetProperties().Select(p =>
                $"{e}.{p.Name} {p.ClrType.Name} col={p.GetColumnName(table)} null={p.IsNullable} max={p.GetMaxLength()} conc={p.IsConcurrencyToken} gen={p.ValueGenerated} conv={p.GetValueConverter()?.GetType().Name}"));
            lines.AddRange(entity.GetKeys().Select(k => $"{e} key {string.Join(",", k.Properties.Select(p => p.Name))} primary={k.IsPrimaryKey()}"));
            lines.AddRange(entity.GetIndexes().Select(i => $"{e} index {string.Join(",", i.Properties.Select(p => p.Name))} unique={i.IsUnique}"));
            lines.AddRange(entity.GetForeignKeys().Select(f => $"{e} fk {string.Join(",", f.Properties.Select(p => p.Name))} -> {f.PrincipalEntityType.Name} {f.DeleteBehavior}"));
        }
        lines.Sort(StringComparer.Ordinal);
        return lines;
    }

    /// <summary><c>/healthz</c>: the process answers. <c>/readyz</c>: the database answers (within
    /// <c>Database:ReadinessTimeout</c>) and has every migration; 503 with <c>Retry-After</c> otherwise.</summary>
    public static WebApplication MapHealthEndpoints(this WebApplication app)
    {
        app.MapHealthChecks("/healthz", new() { Predicate = _ => false });
        app.MapHealthChecks("/readyz", new()
        {
            Predicate = check => check.Tags.Contains("ready"),
            ResponseWriter = static (context, report) =>
            {
                if (report.Status != HealthStatus.Healthy)
                {
                    context.Response.Headers.RetryAfter = "10";
                }
                context.Response.ContentType = "text/plain";
                return context.Response.WriteAsync(report.Status.ToString());
            },
        });
        return app;
    }

    private static string ResolveSqlitePath(string connectionString, string contentRoot)
    {
        SqliteConnectionStringBuilder csb;
        try
        {
            csb = new SqliteConnectionStringBuilder(connectionString);
        }
        catch (ArgumentException e)
        {
            throw new SiteConfigurationException($"ConnectionStrings:Site is not a valid SQLite connection string ({e.Message}): expected Data Source=path/to/site.db.", e);
        }
        if (!string.IsNullOrEmpty(csb.DataSource) && csb.DataSource != ":memory:" && !Path.IsPathRooted(csb.DataSource)
            && csb.Mode != SqliteOpenMode.Memory)
        {
            csb.DataSource = Path.Combine(contentRoot, csb.DataSource);
        }
        csb.Pooling = true;
        return csb.ToString();
    }

    private sealed class DatabaseReadyCheck(IServiceScopeFactory scopes, DatabaseStartup startup, IOptions<DatabaseOptions> options) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            if (!startup.IsReady)
            {
                return HealthCheckResult.Unhealthy("The site is still waiting for its database.");
            }
            var timeout = options.Value.ReadinessTimeout;
            using var cancel = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            cancel.CancelAfter(timeout);
            // Its own scope, disposed when the check is over: a check still opening a connection when the answer is due
            // (a provider may not stop at once on cancellation) must not have its connection closed under it.
            var scope = scopes.CreateAsyncScope();
            var check = CheckAsync(scope.ServiceProvider.GetRequiredService<SiteDbContext>(), startup, cancel.Token);
            _ = check.ContinueWith(static (_, s) => ((AsyncServiceScope)s!).DisposeAsync(), scope, CancellationToken.None,
                TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            try
            {
                return await check.WaitAsync(timeout, cancellationToken);
            }
            catch (Exception e) when (e is TimeoutException or OperationCanceledException || DatabaseOutage.Classify(e) is not null)
            {
                return HealthCheckResult.Unhealthy("The database does not answer.");
            }
        }

        private static async Task<HealthCheckResult> CheckAsync(SiteDbContext db, DatabaseStartup startup, CancellationToken cancellationToken)
        {
            if (!await db.Database.CanConnectAsync(cancellationToken))
            {
                return HealthCheckResult.Unhealthy("The database does not answer.");
            }
            if (startup.MigrationsApplied)
            {
                return HealthCheckResult.Healthy();
            }
            var pending = (await db.Database.PendingMigrationsAsync(cancellationToken)).Count;
            if (pending == 0)
            {
                startup.MigrationsApplied = true;
                return HealthCheckResult.Healthy();
            }
            return HealthCheckResult.Unhealthy($"{pending} migration(s) not applied: run the site once with --migrate-only.");
        }
    }

    /// <summary>Per-connection SQLite settings: the busy timeout (every connection waits for a writer, up to the command
    /// timeout, instead of failing at once with SQLITE_BUSY) and <c>synchronous</c> (<see cref="DatabaseOptions.SqliteSynchronous"/>).
    /// Both belong to the native connection, which Microsoft.Data.Sqlite's pool keeps open between uses, so they are set
    /// once per native connection, not at every open (EF Core opens and closes the connection around each statement, and
    /// each open ran one more statement for these).</summary>
    private sealed class SqliteConnectionPragmas(int busyTimeoutMilliseconds, string synchronous) : DbConnectionInterceptor
    {
        /// <summary>The native connections already set; an entry goes with its connection when the pool closes it.</summary>
        private readonly ConditionalWeakTable<SQLitePCL.sqlite3, object> _applied = new();

        public override void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData) => Apply(connection);

        public override Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData, CancellationToken cancellationToken = default)
        {
            Apply(connection);
            return Task.CompletedTask;
        }

        private readonly string _pragma = string.Create(CultureInfo.InvariantCulture,
            $"PRAGMA busy_timeout={busyTimeoutMilliseconds}; PRAGMA synchronous={(synchronous == "Full" ? "FULL" : "NORMAL")};");

        private void Apply(DbConnection connection)
        {
            if (connection is SqliteConnection { Handle: { } native } sqlite && !_applied.TryGetValue(native, out _))
            {
                using var command = sqlite.CreateCommand();
                command.CommandText = _pragma;
                command.ExecuteNonQuery();
                _applied.AddOrUpdate(native, this);
            }
        }
    }
}
