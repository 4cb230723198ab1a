using System.ComponentModel.DataAnnotations;
using System.Data.Common;
using IdentityTwoFactor.Data.KeyRing;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.Extensions.Diagnostics.HealthChecks;

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
}

public static class DatabaseSetup
{
    public const string DefaultConnectionString = "Data Source=App_Data/site.db";

    /// <summary>SQLite by default (a file under the content root) or PostgreSQL, through EF Core with committed migrations
    /// for each; Data Protection keys in the same database, encrypted with a key kept outside it (<see cref="KeyRingSetup"/>);
    /// a readiness check for load balancers.</summary>
    /// <remarks>The contexts run on the compiled models in Data/CompiledModels (see <see cref="MigrateSiteDatabase"/>), and
    /// their options are built once (singleton options; the options depend on configuration only): with scoped options
    /// every request that resolves a DbContext rebuilt them (~7% of a GET /login's CPU, which resolves the user manager).</remarks>
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
            builder.Services.AddDbContext<SiteDbContext, PostgresSiteDbContext>(o => o
                    .UseNpgsql(configured)
                    .UseModel(CompiledModels.Postgres.PostgresSiteDbContextModel.Instance),
                optionsLifetime: ServiceLifetime.Singleton);
        }
        else
        {
            var connectionString = ResolveSqlitePath(
                string.IsNullOrWhiteSpace(configured) ? DefaultConnectionString : configured,
                builder.Environment.ContentRootPath);
            builder.Services.AddDbContext<SiteDbContext>(o => o
                    .UseSqlite(connectionString)
                    .UseModel(CompiledModels.Sqlite.SiteDbContextModel.Instance)
                    .AddInterceptors(new SqliteBusyTimeout()),
                optionsLifetime: ServiceLifetime.Singleton);
        }

        builder.AddEncryptedKeyRing();
        builder.Services.AddHealthChecks().AddCheck<DatabaseReadyCheck>("database", tags: ["ready"]);
        return builder;
    }

    /// <summary>Applies pending migrations (unless Database:MigrateAtStart is false) and, on SQLite, switches the file
    /// to WAL (the mode is stored in the file).</summary>
    /// <remarks>
    /// Startup cost: the site runs on the compiled models in Data/CompiledModels (no model building at start), and
    /// <see cref="RelationalDatabaseFacadeExtensions.Migrate(DatabaseFacade)"/> always builds the design-time model from
    /// OnModelCreating (to check for model changes missing a migration), so it is called only when a migration is
    /// pending; reading the history table needs no model. Whenever it does run, the compiled model is checked against
    /// that design-time model (<see cref="EnsureCompiledModelIsCurrent"/>): a model change without
    /// <c>dotnet ef dbcontext optimize</c> stops the site (and every test on a fresh database) with the commands to run.
    /// </remarks>
    public static WebApplication MigrateSiteDatabase(this WebApplication app, bool force = false)
    {
        var options = app.Configuration.GetSection(DatabaseOptions.Section).Get<DatabaseOptions>() ?? new DatabaseOptions();
        if (!force && !options.MigrateAtStart)
        {
            return app;
        }
        using var scope = app.Services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<SiteDbContext>();
        if (db.Database.IsSqlite())
        {
            var source = new SqliteConnectionStringBuilder(db.Database.GetConnectionString()).DataSource;
            var folder = Path.GetDirectoryName(Path.GetFullPath(source));
            if (!string.IsNullOrEmpty(folder))
            {
                Directory.CreateDirectory(folder);
            }
        }
        if (db.Database.GetPendingMigrations().Any())
        {
            EnsureCompiledModelIsCurrent(db);
            db.Database.Migrate();
        }
        if (db.Database.IsSqlite())
        {
            db.Database.ExecuteSqlRaw("PRAGMA journal_mode=WAL;");
        }
        return app;
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

    /// <summary><c>/healthz</c>: the process answers. <c>/readyz</c>: the database answers and has every migration.</summary>
    public static WebApplication MapHealthEndpoints(this WebApplication app)
    {
        app.MapHealthChecks("/healthz", new() { Predicate = _ => false });
        app.MapHealthChecks("/readyz", new() { Predicate = check => check.Tags.Contains("ready") });
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

    private sealed class DatabaseReadyCheck(SiteDbContext db) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            try
            {
                if (!await db.Database.CanConnectAsync(cancellationToken))
                {
                    return HealthCheckResult.Unhealthy("The database does not answer.");
                }
                var pending = (await db.Database.GetPendingMigrationsAsync(cancellationToken)).Count();
                return pending == 0
                    ? HealthCheckResult.Healthy()
                    : HealthCheckResult.Unhealthy($"{pending} migration(s) not applied: run the site once with --migrate-only.");
            }
            catch (DbException)
            {
                return HealthCheckResult.Unhealthy("The database does not answer.");
            }
        }
    }

    /// <summary>Every connection waits up to 10 s for a writer instead of failing with SQLITE_BUSY.</summary>
    private sealed class SqliteBusyTimeout : DbConnectionInterceptor
    {
        public override void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData) => Apply(connection);

        public override Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData, CancellationToken cancellationToken = default)
        {
            Apply(connection);
            return Task.CompletedTask;
        }

        private static void Apply(DbConnection connection)
        {
            if (connection is SqliteConnection sqlite)
            {
                using var command = sqlite.CreateCommand();
                command.CommandText = "PRAGMA busy_timeout=10000;";
                command.ExecuteNonQuery();
            }
        }
    }
}
