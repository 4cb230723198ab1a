using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using IdentityTwoFactor.Metrics;

namespace IdentityTwoFactor.RingCentral;

/// <summary>RingCentral's instruments, on the library's meter (<see cref="SmsTwoFactorMetrics.MeterName"/>): how long each
/// request to RingCentral took, and the access-token renewals. Tags name the operation and the HTTP status only; never a
/// number, a token or a credential.</summary>
internal sealed class RingCentralMetrics
{
    private readonly Histogram<double> _duration;
    private readonly Counter<long> _renewals;

    public RingCentralMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(SmsTwoFactorMetrics.MeterName);
        _duration = meter.CreateHistogram<double>(
            "identitytwofactor.ringcentral.request.duration",
            unit: "s",
            description: "Requests to RingCentral's API (token, sms), from sending to the whole response read, by HTTP status or error type.",
            tags: null,
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30] });
        _renewals = meter.CreateCounter<long>("identitytwofactor.ringcentral.token.renewals", "{renewal}",
            "Access tokens asked of RingCentral (the first, each renewal before expiry, and after a 401), by outcome.");
    }

    public void RecordRequest(string operation, TimeSpan elapsed, int? statusCode, string? errorType)
    {
        var tags = new TagList { { "operation", operation } };
        if (statusCode is { } status)
        {
            tags.Add("http.response.status_code", status.ToString(CultureInfo.InvariantCulture));
        }
        if (errorType is not null)
        {
            tags.Add("error.type", errorType);
        }
        _duration.Record(elapsed.TotalSeconds, tags);
    }

    public void RecordRenewal(bool succeeded) =>
        _renewals.Add(1, new KeyValuePair<string, object?>("outcome", succeeded ? "success" : "failed"));
}

/// <summary>Times every request of the typed client (each token attempt and each SMS POST, a retry after a 401 included)
/// in the client's own handler pipeline.</summary>
internal sealed class RingCentralMetricsHandler(RingCentralMetrics metrics) : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var operation = request.RequestUri?.OriginalString.EndsWith(RingCentralClient.TokenPath, StringComparison.Ordinal) == true ? "token" : "sms";
        var started = Stopwatch.GetTimestamp();
        try
        {
            var response = await base.SendAsync(request, cancellationToken);
            metrics.RecordRequest(operation, Stopwatch.GetElapsedTime(started), (int)response.StatusCode, null);
            return response;
        }
        catch (OperationCanceledException)
        {
            metrics.RecordRequest(operation, Stopwatch.GetElapsedTime(started), null, "timeout");
            throw;
        }
        catch (HttpRequestException e)
        {
            metrics.RecordRequest(operation, Stopwatch.GetElapsedTime(started), null, e.HttpRequestError.ToString());
            throw;
        }
    }
}
