using Microsoft.Data.Sqlite;

namespace IdentityTwoFactor.Bench.LoadGen;

/// <summary>Direct SQLite access to an app's database file, for seeding and resetting between runs (never during a timed op,
/// except F's re-lock, which is part of its sequence).</summary>
internal sealed class SiteDatabase(string path)
{
    private object? _lockEnd;
    private object? _lockCount;

    private static SqliteConnection Open(string file)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = file, DefaultTimeout = 30 }.ToString());
        connection.Open();
        return connection;
    }

    public Task ExecuteAsync(string sql) => ExecuteAsync(path, sql);

    public static async Task ExecuteAsync(string file, string sql, params (string Name, object? Value)[] parameters)
    {
        await using var connection = Open(file);
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>Copies the row of <paramref name="templateEmail"/> (same password hash) once per (email, phone).</summary>
    public async Task CloneUsersAsync(string templateEmail, IEnumerable<(string Email, string Phone)> users)
    {
        await using var connection = Open(path);
        var row = new Dictionary<string, object>(StringComparer.Ordinal);
        await using (var select = connection.CreateCommand())
        {
            select.CommandText = "SELECT * FROM Users WHERE NormalizedEmail = $e";
            select.Parameters.AddWithValue("$e", templateEmail.ToUpperInvariant());
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
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync();
        await using var insert = connection.CreateCommand();
        insert.Transaction = transaction;
        insert.CommandText = $"INSERT INTO Users ({string.Join(", ", columns.Select(c => $"\"{c}\""))}) VALUES ({string.Join(", ", columns.Select((_, i) => "$p" + i))})";
        var parameters = columns.Select((_, i) => insert.Parameters.Add(new SqliteParameter("$p" + i, null))).ToArray();
        foreach (var (email, phone) in users)
        {
            for (var i = 0; i < columns.Length; i++)
            {
                parameters[i].Value = columns[i] switch
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
        await using var connection = Open(path);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT AccessFailedCount, LockoutEndUtc FROM Users WHERE NormalizedEmail = $e";
        command.Parameters.AddWithValue("$e", lockedEmail.ToUpperInvariant());
        await using var reader = await command.ExecuteReaderAsync();
        if (!await reader.ReadAsync() || reader.IsDBNull(1))
        {
            throw new InvalidOperationException($"{lockedEmail} is not locked after three wrong passwords.");
        }
        _lockCount = reader.GetValue(0);
        _lockEnd = reader.GetValue(1);
    }

    public Task LockAsync(string email) => ExecuteAsync(path, "UPDATE Users SET AccessFailedCount = $c, LockoutEndUtc = $l WHERE NormalizedEmail = $e",
        ("$c", _lockCount ?? throw new InvalidOperationException("CaptureLockValueAsync first")), ("$l", _lockEnd), ("$e", email.ToUpperInvariant()));

    public async Task<string> PasswordHashAsync(string email)
    {
        await using var connection = Open(path);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT PasswordHash FROM Users WHERE NormalizedEmail = $e";
        command.Parameters.AddWithValue("$e", email.ToUpperInvariant());
        return (string?)await command.ExecuteScalarAsync() ?? throw new InvalidOperationException($"No password hash for {email}");
    }
}
