using IdentityTwoFactor.Sms;
using Microsoft.AspNetCore.Identity;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace IdentityTwoFactor.Tests.Library.Support;

/// <summary>
/// A service provider set up the way an app sets up Identity (<c>AddIdentityCore</c>, Identity's EF stores) plus the
/// library's one call, on a real database: a SQLite file or a new database on the test PostgreSQL server. The schema is
/// created from the model (an app would add a migration).
/// </summary>
public sealed class LibraryHost<TUser, TContext> : IAsyncDisposable
    where TUser : class
    where TContext : DbContext
{
    private readonly string? _sqliteFile;

    public LibraryHost(DatabaseKind engine, Action<SmsTwoFactorOptions>? configure = null, Action<IdentityOptions>? identity = null,
        bool withRoles = false, Action<IServiceCollection>? services = null, Action<IdentityBuilder>? identityBuilder = null)
    {
        var collection = new ServiceCollection();
        collection.AddLogging(b => b.SetMinimumLevel(LogLevel.Warning));
        var contentRoot = Directory.CreateTempSubdirectory("itf-lib-").FullName;
        collection.AddSingleton<IHostEnvironment>(new Environment(contentRoot));
        string connection;
        if (engine == DatabaseKind.Sqlite)
        {
            _sqliteFile = Path.Combine(contentRoot, "app.db");
            connection = new SqliteConnectionStringBuilder { DataSource = _sqliteFile, DefaultTimeout = 10 }.ToString();
            collection.AddDbContext<TContext>(o => o.UseSqlite(connection));
        }
        else
        {
            connection = PostgresServer.NewDatabase();
            collection.AddDbContext<TContext>(o => o.UseNpgsql(connection));
        }
        collection.AddSingleton(Sms);
        collection.AddSingleton<ISmsSender>(Sms);
        var builder = collection.AddIdentityCore<TUser>(o =>
        {
            o.Lockout.MaxFailedAccessAttempts = 3;
            identity?.Invoke(o);
        });
        if (withRoles)
        {
            builder.AddRoles<IdentityRole<int>>();
        }
        identityBuilder?.Invoke(builder);
        builder.AddEntityFrameworkStores<TContext>().AddSmsTwoFactor(o =>
        {
            o.CodeHashKey = Convert.ToBase64String(new byte[32].Select((_, i) => (byte)i).ToArray());
            configure?.Invoke(o);
        });
        services?.Invoke(collection);
        Services = collection.BuildServiceProvider(new ServiceProviderOptions { ValidateScopes = true, ValidateOnBuild = true });
        using var scope = Services.CreateScope();
        scope.ServiceProvider.GetRequiredService<TContext>().Database.EnsureCreated();
    }

    public ServiceProvider Services { get; }

    public RecordingSmsSender Sms { get; } = new();

    /// <summary>A request's worth of services.</summary>
    public AsyncServiceScope Scope() => Services.CreateAsyncScope();

    public async ValueTask DisposeAsync()
    {
        await Services.DisposeAsync();
        if (_sqliteFile is not null)
        {
            SqliteConnection.ClearAllPools();
        }
    }

    private sealed class Environment(string root) : IHostEnvironment
    {
        public string EnvironmentName { get; set; } = Environments.Development;
        public string ApplicationName { get; set; } = "LibraryTests";
        public string ContentRootPath { get; set; } = root;
        public IFileProvider ContentRootFileProvider { get; set; } = new NullFileProvider();
    }
}
