using IdentityTwoFactor.Sms;
using Microsoft.AspNetCore.Builder;

namespace IdentityTwoFactor.Tests.Unit.Sms;

public sealed class DotEnvConfigurationTests : IDisposable
{
    private readonly string root = Directory.CreateTempSubdirectory("dotenv-test-").FullName;
    private readonly string key = "DOTENV_TEST_" + Guid.NewGuid().ToString("N").ToUpperInvariant();

    public DotEnvConfigurationTests() => Directory.CreateDirectory(Path.Combine(root, ".git")); // the walk up stops here

    [Fact]
    public void DotEnvValuesAppearInConfiguration()
    {
        WriteDotEnv($"# a comment\n{key}=from-file\nTwoFactor__CodeLifetime=\"00:10:00\"\n");
        var builder = CreateBuilder(root);

        builder.AddDotEnv();

        Assert.Equal("from-file", builder.Configuration[key]);
        Assert.Equal("00:10:00", builder.Configuration["TwoFactor:CodeLifetime"]);
        Assert.Null(Environment.GetEnvironmentVariable(key)); // read into configuration, not into the process
    }

    [Fact]
    public void DotEnvInAParentFolderOfTheContentRootIsFound()
    {
        WriteDotEnv($"{key}=from-parent\n");
        var contentRoot = Directory.CreateDirectory(Path.Combine(root, "src", "Site")).FullName;
        var builder = CreateBuilder(contentRoot);

        builder.AddDotEnv();

        Assert.Equal("from-parent", builder.Configuration[key]);
    }

    [Fact]
    public void DotEnvInAFolderBetweenTheContentRootAndTheRepositoryRootIsNotRead()
    {
        var contentRoot = Directory.CreateDirectory(Path.Combine(root, "src", "Site")).FullName;
        File.WriteAllText(Path.Combine(root, "src", DotEnvConfiguration.FileName), $"{key}=from-between\n");
        var builder = CreateBuilder(contentRoot);

        builder.AddDotEnv();

        Assert.Null(builder.Configuration[key]);
    }

    [Fact]
    public void WithoutARepositoryADotEnvInAParentFolderIsNotRead()
    {
        // A deployed site: no .git anywhere above. A stray .env in a parent folder must not inject settings.
        var outside = Directory.CreateTempSubdirectory("dotenv-deployed-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(outside, DotEnvConfiguration.FileName), $"{key}=from-stray-parent\n");
            var contentRoot = Directory.CreateDirectory(Path.Combine(outside, "app")).FullName;
            var builder = CreateBuilder(contentRoot);

            builder.AddDotEnv();

            Assert.Null(builder.Configuration[key]);
            File.WriteAllText(Path.Combine(contentRoot, DotEnvConfiguration.FileName), $"{key}=from-content-root\n");
            var again = CreateBuilder(contentRoot);
            again.AddDotEnv();
            Assert.Equal("from-content-root", again.Configuration[key]);
        }
        finally
        {
            Directory.Delete(outside, recursive: true);
        }
    }

    [Fact]
    public void RealEnvironmentVariableWinsOverDotEnv()
    {
        WriteDotEnv($"{key}=from-file\n");
        Environment.SetEnvironmentVariable(key, "from-environment");
        try
        {
            var builder = CreateBuilder(root);

            builder.AddDotEnv();

            Assert.Equal("from-environment", builder.Configuration[key]);
        }
        finally
        {
            Environment.SetEnvironmentVariable(key, null);
        }
    }

    [Fact]
    public void DisabledDotEnvIsNotRead()
    {
        WriteDotEnv($"{key}=from-file\n");
        var builder = CreateBuilder(root, "--DotEnv:Disabled=true");

        builder.AddDotEnv();

        Assert.Null(builder.Configuration[key]);
    }

    [Fact]
    public void MissingDotEnvChangesNothing()
    {
        var builder = CreateBuilder(root);
        var sourcesBefore = builder.Configuration.Sources.Count;

        builder.AddDotEnv();

        Assert.Equal(sourcesBefore, builder.Configuration.Sources.Count);
    }

    public void Dispose() => Directory.Delete(root, recursive: true);

    private void WriteDotEnv(string contents) => File.WriteAllText(Path.Combine(root, DotEnvConfiguration.FileName), contents);

    private static WebApplicationBuilder CreateBuilder(string contentRoot, params string[] args) =>
        WebApplication.CreateBuilder(new WebApplicationOptions { ContentRootPath = contentRoot, Args = args });
}
