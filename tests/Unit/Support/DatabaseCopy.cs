using System.Xml.Linq;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace IdentityTwoFactor.Tests.Unit.Support;

/// <summary>
/// What a copy of the site's SQLite file gives away (a backup, a replica): the Data Protection key ring rows and the
/// user rows, read with plain SQL from the file alone, nothing from the running site.
/// </summary>
public sealed class DatabaseCopy
{
    private DatabaseCopy(IReadOnlyList<XElement> keyRing, IReadOnlyList<UserRow> users)
    {
        KeyRing = keyRing;
        Users = users;
    }

    /// <summary>Every row of DataProtectionKeys, as the XML elements Data Protection stored.</summary>
    public IReadOnlyList<XElement> KeyRing { get; }

    public IReadOnlyList<UserRow> Users { get; }

    public UserRow User(string email) => Users.Single(u => string.Equals(u.Email, email, StringComparison.OrdinalIgnoreCase));

    public static async Task<DatabaseCopy> ReadSqliteAsync(string path)
    {
        // A private copy of the file (and its WAL), opened read-only: the attacker's own copy.
        var copy = Path.Combine(Directory.CreateTempSubdirectory("itf-copy-").FullName, "copy.db");
        await using (var source = new SqliteConnection($"Data Source={path};Mode=ReadOnly;Pooling=False"))
        {
            await source.OpenAsync();
            await using var command = source.CreateCommand();
            command.CommandText = $"VACUUM INTO '{copy.Replace("'", "''", StringComparison.Ordinal)}'";
            await command.ExecuteNonQueryAsync();
        }
        var keys = new List<XElement>();
        var users = new List<UserRow>();
        await using (var connection = new SqliteConnection($"Data Source={copy};Mode=ReadOnly;Pooling=False"))
        {
            await connection.OpenAsync();
            await using (var command = connection.CreateCommand())
            {
                command.CommandText = "SELECT Xml FROM DataProtectionKeys";
                await using var reader = await command.ExecuteReaderAsync();
                while (await reader.ReadAsync())
                {
                    keys.Add(XElement.Parse(reader.GetString(0)));
                }
            }
            await using (var command = connection.CreateCommand())
            {
                command.CommandText = "SELECT Id, UserName, Email, SecurityStamp FROM Users";
                await using var reader = await command.ExecuteReaderAsync();
                while (await reader.ReadAsync())
                {
                    users.Add(new UserRow(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3)));
                }
            }
        }
        Directory.Delete(Path.GetDirectoryName(copy)!, recursive: true);
        return new DatabaseCopy(keys, users);
    }

    /// <summary>The DataProtectionKeys rows of a PostgreSQL database, read with plain SQL.</summary>
    public static async Task<IReadOnlyList<XElement>> ReadPostgresKeyRingAsync(string connectionString)
    {
        var keys = new List<XElement>();
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT \"Xml\" FROM \"DataProtectionKeys\"";
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            keys.Add(XElement.Parse(reader.GetString(0)));
        }
        return keys;
    }

    public sealed record UserRow(string Id, string UserName, string Email, string SecurityStamp);
}
