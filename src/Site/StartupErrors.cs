using System.Data.Common;
using System.Text.RegularExpressions;
using IdentityTwoFactor.Data;
using IdentityTwoFactor.Identity;
using Microsoft.Extensions.Options;
using Npgsql;

namespace IdentityTwoFactor;

/// <summary>
/// Settings problems stop the site before it listens, as one line per problem naming the setting and what it expects,
/// and exit code 1: no stack trace, and not the host's "Hosting failed to start" log record followed by the runtime's
/// unhandled-exception dump of the same trace. Anything else (a bug) still crashes loudly, trace included.
/// </summary>
public static partial class StartupErrors
{
    public const int ExitCode = 1;

    /// <summary>Runs every start-time check before the database is touched and before the host starts: options
    /// validation (all <c>ValidateOnStart</c> registrations, each problem reported), the code-hash key, the connection
    /// string's syntax.</summary>
    public static WebApplication ValidateSettingsAtStart(this WebApplication app)
    {
        app.Services.GetService<IStartupValidator>()?.Validate();
        try
        {
            _ = app.Services.GetRequiredService<CodeHasher>();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            var file = app.Services.GetRequiredService<IOptions<TwoFactorOptions>>().Value.CodeHashKeyFile;
            throw new SiteConfigurationException(
                $"TwoFactor:CodeHashKeyFile ({file}) could not be read or created ({e.Message.TrimEnd('.')}): make its folder writable by the site, or set TwoFactor:CodeHashKey to a base64 key of 32 bytes or more.", e);
        }
        var database = app.Services.GetRequiredService<IOptions<DatabaseOptions>>().Value;
        if (string.Equals(database.Provider, "PostgreSQL", StringComparison.Ordinal))
        {
            ValidatePostgresConnectionString(app.Configuration.GetConnectionString("Site"));
        }
        return app;
    }

    // Its own method, so that a site on SQLite never loads Npgsql (the JIT loads what a method names when it compiles it).
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static void ValidatePostgresConnectionString(string? connectionString)
    {
        try
        {
            _ = new NpgsqlConnectionStringBuilder(connectionString);
        }
        catch (ArgumentException e)
        {
            throw new SiteConfigurationException($"ConnectionStrings:Site is not a valid PostgreSQL connection string ({e.Message}): expected Host=...;Database=...;Username=...;Password=....", e);
        }
    }

    /// <summary>The lines to print for a start-up failure, or an empty list when it is not a settings problem.</summary>
    public static IReadOnlyList<string> Describe(Exception exception)
    {
        var lines = new List<string>();
        return Collect(exception, lines) ? lines.Distinct(StringComparer.Ordinal).ToList() : [];
    }

    /// <summary>Writes the lines to standard error and returns the exit code.</summary>
    public static int Report(IReadOnlyList<string> lines)
    {
        foreach (var line in lines)
        {
            Console.Error.WriteLine("Start-up error: " + line);
        }
        Console.Error.WriteLine("The site did not start: fix the setting(s) above and start it again.");
        return ExitCode;
    }

    /// <returns>False when the exception (or one inside it) is not a settings problem.</returns>
    private static bool Collect(Exception exception, List<string> lines)
    {
        switch (exception)
        {
            case AggregateException aggregate:
                // Every part must be a settings problem; otherwise the whole crashes with its trace.
                return aggregate.InnerExceptions.All(inner => Collect(inner, lines));
            case OptionsValidationException validation:
                lines.AddRange(validation.Failures.Select(Clean));
                return true;
            case SiteConfigurationException configuration:
                lines.Add(configuration.Message);
                return true;
            case InvalidOperationException when BinderFailure().Match(exception.Message) is { Success: true } match:
                lines.Add($"{match.Groups["key"].Value} must be {Expected(match.Groups["type"].Value)}.");
                return true;
            case InvalidDataException when exception.Message.StartsWith("Failed to load configuration from file", StringComparison.Ordinal):
                lines.Add($"{exception.Message.TrimEnd('.')}: {exception.InnerException?.Message ?? "it is not valid JSON"}");
                return true;
            case IOException when exception.Message.StartsWith("Failed to bind to address", StringComparison.Ordinal):
                // Kestrel: the port is taken, or the address is not one of this machine's.
                lines.Add($"ASPNETCORE_URLS (or the Kestrel endpoints): {exception.Message.TrimEnd('.')} ({exception.InnerException?.Message.TrimEnd('.') ?? "refused"}). Choose a free port, or an address of this machine.");
                return true;
            case DbException:
                // Provider messages name the host, port or database, never the password.
                lines.Add($"ConnectionStrings:Site: the database could not be opened or reached ({exception.Message.TrimEnd('.')}). Check the connection string and that the database server is up.");
                return true;
            default:
                return false;
        }
    }

    /// <summary>"DataAnnotation validation failed for 'X' members: 'Y' with the error: 'Section:Y must be ...'." becomes
    /// the sentence inside.</summary>
    private static string Clean(string failure) =>
        DataAnnotationFailure().Match(failure) is { Success: true } match ? match.Groups["message"].Value : failure;

    private static string Expected(string type) => type switch
    {
        "System.TimeSpan" or "System.Nullable`1[System.TimeSpan]" => "a time span such as 00:10:00 (hh:mm:ss) or 1.00:00:00 (days)",
        "System.Boolean" => "true or false",
        "System.Int32" or "System.Int64" => "a whole number",
        _ => $"a value of type {type}",
    };

    [GeneratedRegex("with the error: '(?<message>.*)'\\.?$", RegexOptions.Singleline)]
    private static partial Regex DataAnnotationFailure();

    // The value itself is left out on purpose: it could be a secret typed into the wrong variable.
    [GeneratedRegex("^Failed to convert configuration value (?:'.*' )?at '(?<key>[^']+)' to type '(?<type>[^']+)'", RegexOptions.Singleline)]
    private static partial Regex BinderFailure();
}
