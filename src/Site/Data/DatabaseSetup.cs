using System.Data.Common;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace IdentityTwoFactor.Data;

public static class DatabaseSetup
{
    public const string DefaultConnectionString = "Data Source=App_Data/site.db";

    /// <summary>SQLite by default (a file under the content root), through EF Core with committed migrations.</summary>
    public static IHostApplicationBuilder AddSiteDatabase(this IHostApplicationBuilder builder)
    {
        var configured = builder.Configuration.GetConnectionString("Site");
        var connectionString = ResolveSqlitePath(
            string.IsNullOrWhiteSpace(configured) ? DefaultConnectionString : configured,
            builder.Environment.ContentRootPath);
        builder.Services.AddDbContext<SiteDbContext>(options => options
            .UseSqlite(connectionString)
            .AddInterceptors(new SqliteBusyTimeout()));
        return builder;
    }

    /// <summary>Applies pending migrations and switches the file to WAL (the mode is stored in the file).</summary>
    public static WebApplication MigrateSiteDatabase(this WebApplication app)
    {
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
        db.Database.Migrate();
        if (db.Database.IsSqlite())
        {
            db.Database.ExecuteSqlRaw("PRAGMA journal_mode=WAL;");
        }
        return app;
    }

    private static string ResolveSqlitePath(string connectionString, string contentRoot)
    {
        var csb = new SqliteConnectionStringBuilder(connectionString);
        if (!string.IsNullOrEmpty(csb.DataSource) && csb.DataSource != ":memory:" && !Path.IsPathRooted(csb.DataSource)
            && csb.Mode != SqliteOpenMode.Memory)
        {
            csb.DataSource = Path.Combine(contentRoot, csb.DataSource);
        }
        csb.Pooling = true;
        return csb.ToString();
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
