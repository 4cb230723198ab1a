using IdentityTwoFactor.RingCentral;
using Microsoft.Extensions.Options;

namespace IdentityTwoFactor.Sms;

/// <summary>Says once, at start, where texts go, so nobody waits for an SMS that went to the outbox.</summary>
internal sealed class SmsSenderStartupLog(IOptions<RingCentralOptions> options, ILogger<SmsSenderStartupLog> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value;
        if (settings.Enabled)
        {
            SmsLog.UsingRingCentral(logger, settings.ServerUrl, PhoneMask.Mask(settings.FromNumber));
        }
        else
        {
            SmsLog.UsingDevelopmentOutbox(logger);
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
