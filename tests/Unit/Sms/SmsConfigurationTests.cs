using IdentityTwoFactor.RingCentral;
using IdentityTwoFactor.Sms;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Options;

namespace IdentityTwoFactor.Tests.Unit.Sms;

public sealed class SmsConfigurationTests
{
    private static readonly Dictionary<string, string?> FullCredentials = new()
    {
        ["RINGCENTRAL_CLIENT_ID"] = "client-id",
        ["RINGCENTRAL_CLIENT_SECRET"] = "client-secret",
        ["RINGCENTRAL_JWT"] = "eyJ.jwt.sig",
        ["RINGCENTRAL_FROM_NUMBER"] = "+16505550100",
    };

    [Fact]
    public async Task PartialCredentialsFailStartNamingTheMissingVariables()
    {
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => StartAsync(Environments.Development, new()
        {
            ["RINGCENTRAL_CLIENT_ID"] = "client-id",
            ["RINGCENTRAL_CLIENT_SECRET"] = "client-secret",
        }));

        Assert.Contains("RingCentral is partly configured: set RINGCENTRAL_JWT and RINGCENTRAL_FROM_NUMBER", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("client-secret", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PartialCredentialsInTheRingCentralSectionFailStartToo()
    {
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => StartAsync(Environments.Development, new()
        {
            ["RingCentral:ClientId"] = "client-id",
            ["RingCentral:ClientSecret"] = "client-secret",
            ["RingCentral:Jwt"] = "eyJ.jwt.sig",
        }));

        Assert.Contains("set RINGCENTRAL_FROM_NUMBER,", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PartialCredentialsAreOneSentenceNotOnePerMissingSetting()
    {
        // The RingCentral library's own "must be set" checks stay quiet while the site's rule speaks.
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => StartAsync(Environments.Production, new()
        {
            ["RINGCENTRAL_CLIENT_ID"] = "client-id",
        }));

        var failure = Assert.Single(error.Failures);
        Assert.StartsWith("RingCentral is partly configured: set RINGCENTRAL_CLIENT_SECRET, RINGCENTRAL_JWT and RINGCENTRAL_FROM_NUMBER", failure, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SettingsWithoutAVariableAreNamedByTheirSectionKey()
    {
        var settings = new Dictionary<string, string?>(FullCredentials) { ["RingCentral:SendTimeout"] = "00:00:00" };

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => StartAsync(Environments.Production, settings));

        Assert.Equal(["RingCentral:SendTimeout must be positive."], error.Failures);
    }

    [Fact]
    public async Task NoCredentialsInProductionFailStartNamingTheVariablesToSet()
    {
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => StartAsync(Environments.Production, []));

        Assert.Contains("No SMS provider is configured for the Production environment", error.Message, StringComparison.Ordinal);
        Assert.Contains("RINGCENTRAL_CLIENT_ID, RINGCENTRAL_CLIENT_SECRET, RINGCENTRAL_JWT and RINGCENTRAL_FROM_NUMBER", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task NoCredentialsInDevelopmentSelectTheDevelopmentOutboxAndSaySo()
    {
        await using var app = await StartAsync(Environments.Development, []);

        var sender = app.Services.GetRequiredService<ISmsSender>();

        var outbox = Assert.IsType<DevelopmentOutbox>(sender);
        Assert.Same(app.Services.GetRequiredService<DevelopmentOutbox>(), outbox);
        Assert.Contains(app.Services.GetFakeLogCollector().GetSnapshot(),
            r => r.Message == "SMS messages go to the development outbox at /dev/outbox; no text is sent");
    }

    [Fact]
    public async Task FullCredentialsSelectTheRingCentralClient()
    {
        await using var app = await StartAsync(Environments.Production, FullCredentials);

        Assert.IsType<RingCentralClient>(app.Services.GetRequiredService<ISmsSender>());
        Assert.Contains(app.Services.GetFakeLogCollector().GetSnapshot(), r => r.Message.Contains("XXXXXXX0100", StringComparison.Ordinal));
    }

    [Fact]
    public async Task FromNumberThatIsNotE164FailsStart()
    {
        var settings = new Dictionary<string, string?>(FullCredentials) { ["RINGCENTRAL_FROM_NUMBER"] = "650-555-0100" };

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => StartAsync(Environments.Production, settings));

        Assert.Contains("RINGCENTRAL_FROM_NUMBER must be an E.164 number", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ServerUrlThatIsNotAnAbsoluteHttpUrlFailsStart()
    {
        var settings = new Dictionary<string, string?>(FullCredentials) { ["RINGCENTRAL_SERVER_URL"] = "platform.ringcentral.com" };

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => StartAsync(Environments.Production, settings));

        Assert.Contains("RINGCENTRAL_SERVER_URL must be an absolute http or https URL", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task APlainHttpServerUrlOutsideDevelopmentFailsStart()
    {
        // The client secret and the JWT would cross the network in clear text.
        var settings = new Dictionary<string, string?>(FullCredentials) { ["RINGCENTRAL_SERVER_URL"] = "http://platform.ringcentral.com" };

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => StartAsync(Environments.Production, settings));

        Assert.Contains("RINGCENTRAL_SERVER_URL must be an https URL outside Development", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Development", "http://platform.example.com")]
    [InlineData("Production", "http://127.0.0.1:5555")]
    [InlineData("Production", "http://localhost:5555")]
    [InlineData("Production", "https://platform.ringcentral.com")]
    public async Task HttpsOrALoopbackOrDevelopmentServerUrlStarts(string environment, string url)
    {
        var settings = new Dictionary<string, string?>(FullCredentials) { ["RINGCENTRAL_SERVER_URL"] = url };

        await using var app = await StartAsync(environment, settings);

        Assert.Equal(url, app.Services.GetRequiredService<IOptions<RingCentralOptions>>().Value.ServerUrl);
    }

    [Fact]
    public async Task FlatVariablesWinOverTheRingCentralSection()
    {
        var settings = new Dictionary<string, string?>(FullCredentials)
        {
            ["RingCentral:ClientId"] = "section-id",
            ["RingCentral:SendTimeout"] = "00:00:05",
        };
        await using var app = await StartAsync(Environments.Production, settings);

        var options = app.Services.GetRequiredService<IOptions<RingCentralOptions>>().Value;

        Assert.Equal("client-id", options.ClientId);
        Assert.Equal(TimeSpan.FromSeconds(5), options.SendTimeout);
        Assert.Equal("https://platform.ringcentral.com", options.ServerUrl);
    }

    private static async Task<WebApplication> StartAsync(string environment, Dictionary<string, string?> settings)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            EnvironmentName = environment,
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Logging.ClearProviders();
        builder.Logging.AddFakeLogging();
        builder.AddSmsSender();

        var app = builder.Build();
        try
        {
            await app.StartAsync();
            return app;
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }
    }
}
