using IdentityTwoFactor.Data;
using IdentityTwoFactor.Identity;
using IdentityTwoFactor.Tests.Unit.Support;
using Microsoft.EntityFrameworkCore;

namespace IdentityTwoFactor.Tests.Unit.Site;

/// <summary><c>dotnet IdentityTwoFactor.Site.dll --grant-support EMAIL</c> and <c>--revoke-support EMAIL</c> as an operator
/// runs them: the real process, one line, exit 0; an unknown or missing email is one line, a non-zero exit, nothing changed.</summary>
public sealed class SupportRoleCommandTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);
    private readonly string _folder = Directory.CreateTempSubdirectory("itf-support-cli-").FullName;
    private readonly Dictionary<string, string> _environment = new()
    {
        ["TwoFactor__CodeHashKey"] = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)),
    };

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    [Fact]
    public async Task GrantAndRevokeAreOneLineCommandsAndAnUnknownEmailChangesNothing()
    {
        var unknown = await RunAsync("--grant-support", "agent@example.com");
        Assert.Equal(1, unknown.ExitCode);
        Assert.Equal("No account with the email agent@example.com: nothing changed.", unknown.Output);
        var id = await AddUserAsync("agent@example.com");
        Assert.Equal(0, await CountRolesAsync());

        var granted = await RunAsync("--grant-support", "Agent@Example.com");
        Assert.Equal((0, "agent@example.com has the Support role: the console is at /support."), granted);
        Assert.Equal(["SUPPORT"], await RolesOfAsync(id));

        var missing = await RunAsync("--revoke-support");
        Assert.Equal(2, missing.ExitCode);
        Assert.Equal("--revoke-support needs the account's email, for example --revoke-support agent@example.com: nothing changed.", missing.Output);
        Assert.Equal(["SUPPORT"], await RolesOfAsync(id));

        var revoked = await RunAsync("--revoke-support", "agent@example.com");
        Assert.Equal((0, "agent@example.com no longer has the Support role."), revoked);
        Assert.Empty(await RolesOfAsync(id));
        Assert.Equal([SecurityEventKinds.SupportRoleGranted, SecurityEventKinds.SupportRoleRevoked], await KindsAsync(id));
    }

    private async Task<(int ExitCode, string Output)> RunAsync(params string[] arguments)
    {
        var (exitCode, output) = await SiteProcess.RunUntilExitAsync(_folder, _environment, Timeout, arguments);
        return (exitCode, output.Trim());
    }

    private SiteDbContext Open() =>
        new(new DbContextOptionsBuilder<SiteDbContext>().UseSqlite($"Data Source={Path.Combine(_folder, "site.db")};Pooling=False").Options);

    private async Task<string> AddUserAsync(string email)
    {
        await using var db = Open();
        var user = new TwoFactorUser
        {
            Email = email,
            NormalizedEmail = email.ToUpperInvariant(),
            UserName = email,
            NormalizedUserName = email.ToUpperInvariant(),
            PhoneNumber = "+16502530001",
            SecurityStamp = Guid.NewGuid().ToString("N"),
        };
        db.Users.Add(user);
        await db.SaveChangesAsync();
        return user.Id;
    }

    private async Task<int> CountRolesAsync()
    {
        await using var db = Open();
        return await db.UserRoles.CountAsync();
    }

    private async Task<List<string>> RolesOfAsync(string id)
    {
        await using var db = Open();
        return await db.UserRoles.Where(r => r.UserId == id).Select(r => r.Role).ToListAsync();
    }

    private async Task<List<string>> KindsAsync(string id)
    {
        await using var db = Open();
        return await db.SecurityEvents.Where(e => e.UserId == id).OrderBy(e => e.Id).Select(e => e.Kind).ToListAsync();
    }
}
