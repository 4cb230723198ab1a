using System.Data.Common;
using System.Xml.Linq;
using Microsoft.AspNetCore.DataProtection.EntityFrameworkCore;
using Microsoft.AspNetCore.DataProtection.Repositories;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Storage;

namespace IdentityTwoFactor.Data.KeyRing;

/// <summary>
/// The Data Protection key ring's rows (the <see cref="DataProtectionKey"/> entity of the site's context), read and
/// written with one plain statement each, table and column names taken from the EF model and quoted by the provider.
/// Data Protection's own EF Core repository runs a LINQ query: compiling it was ~0.2 s of every start (the key ring is
/// read at start and by the first page), and each later read ~0.1 s more than this.
/// </summary>
public sealed class DatabaseXmlRepository<TContext>(IServiceScopeFactory scopes) : IXmlRepository
    where TContext : DbContext, IDataProtectionKeyContext
{
    public IReadOnlyCollection<XElement> GetAllElements()
    {
        using var scope = scopes.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<TContext>();
        var (table, _, xml) = Names(db);
        db.Database.OpenConnection();
        try
        {
            using var command = db.Database.GetDbConnection().CreateCommand();
            command.CommandText = $"SELECT {xml} FROM {table} WHERE {xml} IS NOT NULL";
            using var reader = command.ExecuteReader();
            var elements = new List<XElement>();
            while (reader.Read())
            {
                elements.Add(XElement.Parse(reader.GetString(0)));
            }
            return elements;
        }
        finally
        {
            db.Database.CloseConnection();
        }
    }

    public void StoreElement(XElement element, string friendlyName)
    {
        ArgumentNullException.ThrowIfNull(element);
        using var scope = scopes.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<TContext>();
        var (table, friendlyNameColumn, xml) = Names(db);
        db.Database.OpenConnection();
        try
        {
            using var command = db.Database.GetDbConnection().CreateCommand();
            command.CommandText = $"INSERT INTO {table} ({friendlyNameColumn}, {xml}) VALUES (@friendlyName, @xml)";
            Add(command, "@friendlyName", friendlyName);
            Add(command, "@xml", element.ToString(SaveOptions.DisableFormatting));
            command.ExecuteNonQuery();
        }
        finally
        {
            db.Database.CloseConnection();
        }
    }

    private static void Add(DbCommand command, string name, string value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.Value = value;
        command.Parameters.Add(parameter);
    }

    private static (string Table, string FriendlyName, string Xml) Names(TContext db)
    {
        var entity = db.Model.FindEntityType(typeof(DataProtectionKey))
            ?? throw new InvalidOperationException($"{typeof(TContext).Name} does not map {nameof(DataProtectionKey)}.");
        var sql = db.GetService<ISqlGenerationHelper>();
        var store = StoreObjectIdentifier.Table(entity.GetTableName()!, entity.GetSchema());
        string Column(string property) => sql.DelimitIdentifier(entity.FindProperty(property)!.GetColumnName(store)!);
        return (sql.DelimitIdentifier(store.Name, store.Schema), Column(nameof(DataProtectionKey.FriendlyName)), Column(nameof(DataProtectionKey.Xml)));
    }
}
