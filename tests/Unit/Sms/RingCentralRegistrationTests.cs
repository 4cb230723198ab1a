using IdentityTwoFactor.FakeRingCentral;
using IdentityTwoFactor.RingCentral;
using IdentityTwoFactor.Sms;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace IdentityTwoFactor.Tests.Unit.Sms;

/// <summary>The RingCentral library as another app uses it: <c>AddRingCentralSms</c> on a bare host, without the site's
/// variables, outbox or rules.</summary>
public sealed class RingCentralRegistrationTests
{
    [Fact]
    public async Task AddRingCentralSmsMakesTheClientTheSmsSender()
    {
        await using var server = await FakeRingCentralServer.StartNewAsync();
        using var host = await StartAsync([], services => services.AddRingCentralSms(o =>
        {
            o.ServerUrl = server.Url;
            o.ClientId = server.ClientId;
            o.ClientSecret = server.ClientSecret;
            o.Jwt = server.Jwt;
            o.FromNumber = server.FromNumber;
        }));

        var sender = host.Services.GetRequiredService<ISmsSender>();
        var result = await sender.SendAsync("+16505551234", "123456 is your code");

        Assert.IsType<RingCentralClient>(sender);
        Assert.True(result.Succeeded);
        Assert.Equal("123456", server.LastCodeSentTo("+16505551234"));
    }

    [Fact]
    public async Task SettingsBoundFromTheSectionAreCheckedAtStartNamingTheirKeys()
    {
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => StartAsync(
            new()
            {
                ["RingCentral:ClientId"] = "client-id",
                ["RingCentral:ClientSecret"] = "client-secret",
                ["RingCentral:FromNumber"] = "650-555-0100",
            },
            services =>
            {
                services.AddRingCentralSms();
                services.AddOptions<RingCentralOptions>().BindConfiguration(RingCentralOptions.SectionName);
            }));

        Assert.Equal(["RingCentral:Jwt must be set."], error.Failures);
    }

    [Fact]
    public async Task CompleteButMalformedSettingsNameEveryWrongOne()
    {
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => StartAsync([], services => services.AddRingCentralSms(o =>
        {
            o.ServerUrl = "platform.ringcentral.com";
            o.ClientId = "client-id";
            o.ClientSecret = "client-secret";
            o.Jwt = "eyJ.jwt.sig";
            o.FromNumber = "650-555-0100";
            o.SendTimeout = TimeSpan.Zero;
        })));

        Assert.Equal(
            [
                "RingCentral:ServerUrl must be an absolute http or https URL such as https://platform.ringcentral.com.",
                "RingCentral:FromNumber must be an E.164 number such as +16505550100.",
                "RingCentral:SendTimeout must be positive.",
            ],
            error.Failures);
        Assert.DoesNotContain("client-secret", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ATurnedOffClientStartsWithoutSettingsAndCallsNobody()
    {
        await using var server = await FakeRingCentralServer.StartNewAsync();
        using var host = await StartAsync([], services => services.AddRingCentralSms(o =>
        {
            o.ServerUrl = server.Url;
            o.Enabled = false;
        }));

        var result = await host.Services.GetRequiredService<ISmsSender>().SendAsync("+16505551234", "123456 is your code");

        Assert.Equal(SmsFailureKind.Misconfigured, result.Failure);
        Assert.Equal(0, server.TokenRequests);
        Assert.Equal(0, server.SmsRequests);
    }

    [Fact]
    public async Task ASenderTheHostRegisteredFirstStaysTheSmsSender()
    {
        var outbox = new DevelopmentOutbox(TimeProvider.System, NullLogger<DevelopmentOutbox>.Instance);
        using var host = await StartAsync([], services =>
        {
            services.AddSingleton<ISmsSender>(outbox);
            services.AddRingCentralSms(o => o.Enabled = false);
        });

        Assert.Same(outbox, host.Services.GetRequiredService<ISmsSender>());
        Assert.NotNull(host.Services.GetService<RingCentralClient>()); // still there for a host that picks it itself
    }

    private static async Task<IHost> StartAsync(Dictionary<string, string?> settings, Action<IServiceCollection> addRingCentral)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            EnvironmentName = Environments.Production,
            DisableDefaults = true,
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Logging.ClearProviders();
        addRingCentral(builder.Services);
        var host = builder.Build();
        try
        {
            await host.StartAsync();
            return host;
        }
        catch
        {
            host.Dispose();
            throw;
        }
    }
}
