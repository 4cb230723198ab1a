using System.Data.Common;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace IdentityTwoFactor.Bench.LoadGen;

/// <summary>Direct access to the site's database (a SQLite file or a PostgreSQL database), for seeding and resetting
/// between runs (never during a timed op, except F's re-lock, which is part of its sequence). The SQL is written once
/// for both engines: quoted PascalCase identifiers, <c>@name</c> parameters; values read from a row are written back
/// as read (on PostgreSQL the DateTime columns are timestamptz and come back as UTC).</summary>
internal sealed class SiteDatabase
{
    private readonly Func<DbConnection> _newConnection;
    private object? _lockEnd;
    private object? _lockCount;

    private SiteDatabase(Func<DbConnection> newConnection) => _newConnection = newConnection;

    public static SiteDatabase Sqlite(string file) =>
        new(() => new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = file, DefaultTimeout = 30 }.ToString()));

    public static SiteDatabase Postgres(string connectionString) => new(() => new NpgsqlConnection(connectionString));

    private async Task<DbConnection> OpenAsync()
    {
        var connection = _newConnection();
        await connection.OpenAsync();
        if (connection is SqliteConnection)
        {
            // Wait for the site's writer inside SQLite (a few ms). Without it Microsoft.Data.Sqlite retries a busy
            // statement after sleeping 150 ms, and F's and J's re-lock showed up as a ~0.9 s p99 of the whole story.
            await using var pragma = connection.CreateCommand();
            pragma.CommandText = "PRAGMA busy_timeout = 30000;";
            await pragma.ExecuteNonQueryAsync();
        }
        return connection;
    }

    private static void Add(DbCommand command, string name, object? value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.Value = value ?? DBNull.Value;
        command.Parameters.Add(parameter);
    }

    public async Task ExecuteAsync(string sql, params (string Name, object? Value)[] parameters)
    {
        await using var connection = await OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            Add(command, name, value);
        }
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>SQL on a SQLite file (the stock app's database).</summary>
    public static Task ExecuteAsync(string file, string sql, params (string Name, object? Value)[] parameters) =>
        Sqlite(file).ExecuteAsync(sql, parameters);

    /// <summary>Copies the row of <paramref name="templateEmail"/> (same password hash) once per (email, phone).</summary>
    public async Task CloneUsersAsync(string templateEmail, IEnumerable<(string Email, string Phone)> users)
    {
        await using var connection = await OpenAsync();
        var row = new Dictionary<string, object>(StringComparer.Ordinal);
        await using (var select = connection.CreateCommand())
        {
            select.CommandText = "SELECT * FROM \"Users\" WHERE \"NormalizedEmail\" = @e";
            Add(select, "@e", templateEmail.ToUpperInvariant());
            await using var reader = await select.ExecuteReaderAsync();
            if (!await reader.ReadAsync())
            {
                throw new InvalidOperationException($"No user {templateEmail} to clone.");
            }
            for (var i = 0; i < reader.FieldCount; i++)
            {
                row[reader.GetName(i)] = reader.GetValue(i);
            }
        }
        var columns = row.Keys.ToArray();
        await using var transaction = await connection.BeginTransactionAsync();
        await using var insert = connection.CreateCommand();
        insert.Transaction = transaction;
        insert.CommandText = $"INSERT INTO \"Users\" ({string.Join(", ", columns.Select(c => $"\"{c}\""))}) VALUES ({string.Join(", ", columns.Select((_, i) => "@p" + i))})";
        for (var i = 0; i < columns.Length; i++)
        {
            Add(insert, "@p" + i, null);
        }
        foreach (var (email, phone) in users)
        {
            for (var i = 0; i < columns.Length; i++)
            {
                insert.Parameters[i].Value = columns[i] switch
                {
                    "Id" => Guid.NewGuid().ToString("D"),
                    "UserName" or "Email" => email,
                    "NormalizedUserName" or "NormalizedEmail" => email.ToUpperInvariant(),
                    "PhoneNumber" => phone,
                    "SecurityStamp" => Guid.NewGuid().ToString("N").ToUpperInvariant(),
                    "ConcurrencyStamp" => Guid.NewGuid().ToString("D"),
                    "AccessFailedCount" => 0,
                    "LockoutEndUtc" => DBNull.Value,
                    _ => row[columns[i]],
                };
            }
            await insert.ExecuteNonQueryAsync();
        }
        await transaction.CommitAsync();
    }

    /// <summary>Remembers how the site itself stored a lock (count and end), to lock other users the same way.</summary>
    public async Task CaptureLockValueAsync(string lockedEmail)
    {
        await using var connection = await OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT \"AccessFailedCount\", \"LockoutEndUtc\" FROM \"Users\" WHERE \"NormalizedEmail\" = @e";
        Add(command, "@e", lockedEmail.ToUpperInvariant());
        await using var reader = await command.ExecuteReaderAsync();
        if (!await reader.ReadAsync() || reader.IsDBNull(1))
        {
            throw new InvalidOperationException($"{lockedEmail} is not locked after three wrong passwords.");
        }
        _lockCount = reader.GetValue(0);
        _lockEnd = reader.GetValue(1);
    }

    public Task LockAsync(string email) => ExecuteAsync(
        "UPDATE \"Users\" SET \"AccessFailedCount\" = @c, \"LockoutEndUtc\" = @l WHERE \"NormalizedEmail\" = @e",
        ("@c", _lockCount ?? throw new InvalidOperationException("CaptureLockValueAsync first")), ("@l", _lockEnd), ("@e", email.ToUpperInvariant()));

    public async Task<string> PasswordHashAsync(string email)
    {
        await using var connection = await OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT \"PasswordHash\" FROM \"Users\" WHERE \"NormalizedEmail\" = @e";
        Add(command, "@e", email.ToUpperInvariant());
        return (string?)await command.ExecuteScalarAsync() ?? throw new InvalidOperationException($"No password hash for {email}");
    }
}
