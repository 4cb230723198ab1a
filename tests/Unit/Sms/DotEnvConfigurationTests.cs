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
