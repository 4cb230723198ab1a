using IdentityTwoFactor.FakeRingCentral;
using IdentityTwoFactor.Sms;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;

namespace IdentityTwoFactor.Tests.Unit.Sms;

/// <summary>A fake RingCentral server and a host built with the real <see cref="SmsServiceCollectionExtensions.AddSmsSender"/>
/// pointed at it over HTTP, sharing one fake clock, with every log line (Trace and up) captured.</summary>
internal sealed class SmsTestHost : IAsyncDisposable
{
    public const string Recipient = "+16505551234";

    private SmsTestHost(FakeTimeProvider time, FakeRingCentralServer server, IHost host)
    {
        Time = time;
        Server = server;
        Host = host;
    }

    public FakeTimeProvider Time { get; }
    public FakeRingCentralServer Server { get; }
    public IHost Host { get; }
    public FakeLogCollector Logs => Host.Services.GetFakeLogCollector();

    /// <summary>A new sender per call, as a page would get one (typed HttpClients are transient).</summary>
    public ISmsSender Sender => Host.Services.GetRequiredService<ISmsSender>();

    public static async Task<SmsTestHost> StartAsync(
        Dictionary<string, string?>? settings = null,
        Func<FakeRingCentralServer, string>? serverUrl = null)
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2025, 6, 1, 12, 0, 0, TimeSpan.Zero));
        var server = await FakeRingCentralServer.StartNewAsync(time);

        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            EnvironmentName = Environments.Production,
            DisableDefaults = true,
            ContentRootPath = AppContext.BaseDirectory,
        });
        var configuration = new Dictionary<string, string?>
        {
            ["RINGCENTRAL_SERVER_URL"] = serverUrl?.Invoke(server) ?? server.Url,
            ["RINGCENTRAL_CLIENT_ID"] = server.ClientId,
            ["RINGCENTRAL_CLIENT_SECRET"] = server.ClientSecret,
            ["RINGCENTRAL_JWT"] = server.Jwt,
            ["RINGCENTRAL_FROM_NUMBER"] = server.FromNumber,
        };
        foreach (var (key, value) in settings ?? [])
        {
            configuration[key] = value;
        }

        builder.Configuration.AddInMemoryCollection(configuration);
        builder.Services.AddSingleton<TimeProvider>(time);
        builder.Logging.SetMinimumLevel(LogLevel.Trace);
        builder.Logging.AddFakeLogging();
        builder.AddSmsSender();

        var host = builder.Build();
        await host.StartAsync();
        return new SmsTestHost(time, server, host);
    }

    public Task<SmsSendResult> SendAsync(string text = "123456 is your code", string to = Recipient) => Sender.SendAsync(to, text);

    public async ValueTask DisposeAsync()
    {
        await Host.StopAsync();
        Host.Dispose();
        await Server.DisposeAsync();
    }
}
