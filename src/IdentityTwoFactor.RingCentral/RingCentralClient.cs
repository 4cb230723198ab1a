using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using IdentityTwoFactor.Sms;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace IdentityTwoFactor.RingCentral;

/// <summary>Sends SMS through RingCentral's REST API (JWT grant + one POST). See docs/decisions/0001-own-ringcentral-client.md.
/// Guarantees: one cached, single-flight access token; an SMS POST is never repeated after a 5xx, a timeout or a dropped
/// connection (the text may have gone); a 401 renews the token and retries once; a 429 is reported with its Retry-After;
/// provider faults come back as typed failures, never as exceptions.</summary>
/// <remarks>Registered by <see cref="RingCentralServiceCollectionExtensions.AddRingCentralSms(Microsoft.Extensions.DependencyInjection.IServiceCollection, Action{RingCentralOptions}?)"/>
/// as a typed <see cref="HttpClient"/> client (transient; the token is cached process-wide). Resolve it, or
/// <see cref="ISmsSender"/>, from the service provider: it cannot be constructed directly.</remarks>
public sealed class RingCentralClient : ISmsSender
{
    internal const string TokenPath = "restapi/oauth/token";
    internal const string SmsPath = "restapi/v1.0/account/~/extension/~/sms";
    internal static readonly TimeSpan DefaultRetryAfter = TimeSpan.FromSeconds(30);

    // Token requests may be repeated safely; these waits are real time because they pace real network calls.
    private static readonly TimeSpan[] TokenRetryDelays = [TimeSpan.FromMilliseconds(200), TimeSpan.FromMilliseconds(400)];

    private readonly HttpClient http;
    private readonly RingCentralOptions options;
    private readonly RingCentralTokenCache tokens;
    private readonly TimeProvider timeProvider;
    private readonly ILogger<RingCentralClient> logger;
    private readonly RingCentralMetrics metrics;

    internal RingCentralClient(
        HttpClient http,
        IOptions<RingCentralOptions> options,
        RingCentralTokenCache tokens,
        TimeProvider timeProvider,
        ILogger<RingCentralClient> logger,
        RingCentralMetrics metrics)
    {
        this.metrics = metrics;
        this.http = http;
        this.options = options.Value;
        this.tokens = tokens;
        this.timeProvider = timeProvider;
        this.logger = logger;
    }

    /// <inheritdoc />
    public async Task<SmsSendResult> SendAsync(string toE164, string text, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(toE164);
        ArgumentException.ThrowIfNullOrEmpty(text);
        var maskedTo = PhoneMask.Mask(toE164);
        if (!options.Enabled)
        {
            RingCentralLog.SmsDisabled(logger, maskedTo);
            return SmsSendResult.Failed(SmsFailureKind.Misconfigured);
        }

        // The send timeout bounds the whole call (token included) in real time: it limits how long a user waits.
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.SendTimeout);
        var ct = timeout.Token;
        var smsPosted = false;
        try
        {
            var token = await tokens.GetAsync(RequestTokenAsync, rejectedToken: null, ct);
            if (token.Failure is { } noToken)
            {
                RingCentralLog.SmsNoToken(logger, maskedTo, noToken.Failure!.Value);
                return noToken;
            }

            smsPosted = true;
            using var first = await PostSmsAsync(token.AccessToken!, toE164, text, ct);
            if (first.StatusCode != HttpStatusCode.Unauthorized)
            {
                return await ReadSmsResultAsync(first, maskedTo, ct);
            }

            // A 401 proves the message was not accepted, so one retry with a new token cannot text twice.
            RingCentralLog.SmsUnauthorizedRetrying(logger, maskedTo);
            smsPosted = false;
            var renewed = await tokens.GetAsync(RequestTokenAsync, rejectedToken: token.AccessToken, ct);
            if (renewed.Failure is { } noRenewedToken)
            {
                RingCentralLog.SmsNoToken(logger, maskedTo, noRenewedToken.Failure!.Value);
                return noRenewedToken;
            }

            smsPosted = true;
            using var second = await PostSmsAsync(renewed.AccessToken!, toE164, text, ct);
            if (second.StatusCode == HttpStatusCode.Unauthorized)
            {
                RingCentralLog.SmsUnauthorizedTwice(logger, maskedTo);
                var (errorCode, _) = await ReadErrorAsync(second, ct);
                return SmsSendResult.Failed(SmsFailureKind.Misconfigured, errorCode);
            }

            return await ReadSmsResultAsync(second, maskedTo, ct);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            RingCentralLog.SmsOutcomeUnknown(logger, maskedTo, smsPosted ? "timed out" : "timed out waiting for an access token");
            return SmsSendResult.Failed(SmsFailureKind.ProviderUnavailable);
        }
        catch (HttpRequestException ex)
        {
            // Only the error category: exception texts are not ours to vouch for.
            RingCentralLog.SmsOutcomeUnknown(logger, maskedTo, $"connection failed: {ex.HttpRequestError}");
            return SmsSendResult.Failed(SmsFailureKind.ProviderUnavailable);
        }
    }

    private async Task<HttpResponseMessage> PostSmsAsync(string accessToken, string to, string text, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, SmsPath)
        {
            // Serialized up front, so the request carries a Content-Length: JsonContent streams the body chunked, which
            // some API gateways refuse.
            Content = new ByteArrayContent(JsonSerializer.SerializeToUtf8Bytes(
                new SmsRequest(new CallerInfo(options.FromNumber!), [new CallerInfo(to)], text),
                RingCentralJsonContext.Default.SmsRequest))
            {
                Headers = { ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" } },
            },
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", accessToken);
        return await http.SendAsync(request, HttpCompletionOption.ResponseContentRead, ct);
    }

    private async Task<SmsSendResult> ReadSmsResultAsync(HttpResponseMessage response, string maskedTo, CancellationToken ct)
    {
        var status = (int)response.StatusCode;
        if (response.IsSuccessStatusCode)
        {
            MessageResponse? message;
            try
            {
                message = await response.Content.ReadFromJsonAsync(RingCentralJsonContext.Default.MessageResponse, ct);
            }
            catch (JsonException)
            {
                RingCentralLog.SmsOutcomeUnknown(logger, maskedTo, $"HTTP {status} with an unreadable body");
                return SmsSendResult.Failed(SmsFailureKind.ProviderUnavailable);
            }

            var messageStatus = message?.MessageStatus;
            if (messageStatus is "SendingFailed" or "DeliveryFailed")
            {
                RingCentralLog.SmsNotSent(logger, maskedTo, messageStatus);
                return SmsSendResult.Failed(SmsFailureKind.ProviderUnavailable, messageStatus);
            }

            var id = message?.Id.ValueKind is JsonValueKind.Number or JsonValueKind.String ? message.Id.ToString() : null;
            RingCentralLog.SmsAccepted(logger, maskedTo, id, messageStatus);
            return SmsSendResult.Sent(id);
        }

        var (errorCode, _) = await ReadErrorAsync(response, ct);
        if (response.StatusCode == HttpStatusCode.TooManyRequests || errorCode is "MSG-305" or "CMN-301")
        {
            var retryAfter = RetryAfter(response);
            RingCentralLog.SmsRateLimited(logger, maskedTo, errorCode, retryAfter);
            return SmsSendResult.Failed(SmsFailureKind.RateLimited, errorCode, retryAfter);
        }

        if (status >= 500)
        {
            RingCentralLog.SmsOutcomeUnknown(logger, maskedTo, $"HTTP {status}, error code {errorCode}");
            return SmsSendResult.Failed(SmsFailureKind.ProviderUnavailable, errorCode);
        }

        var kind = ClassifyRefusal(errorCode);
        RingCentralLog.SmsRefused(logger, maskedTo, status, errorCode, kind);
        return SmsSendResult.Failed(kind, errorCode);
    }

    /// <summary>4xx other than 401/429. Match on errorCode, never on the message text. Only the opt-out error means the
    /// number refused the message (the user can fix it by replying START); every other refusal, an invalid recipient
    /// included (our own phone validation accepted it), is ours to look at and reads "could not send".</summary>
    private static SmsFailureKind ClassifyRefusal(string? errorCode) => errorCode switch
    {
        "MSG-243" => SmsFailureKind.RejectedNumber, // recipient blocked (for example replied STOP)
        _ => SmsFailureKind.Misconfigured, // CMN-101 (a parameter), MSG-245 (from number), CMN-408 (OutboundSMS), MSG-384 (account limits), unknown
    };

    /// <summary>One renewal (its retries included), counted once by outcome; the cache calls it single-flight.</summary>
    private async Task<TokenOutcome> RequestTokenAsync(CancellationToken ct)
    {
        var succeeded = false;
        try
        {
            var outcome = await RequestTokenWithRetriesAsync(ct);
            succeeded = outcome.AccessToken is not null;
            return outcome;
        }
        finally
        {
            metrics.RecordRenewal(succeeded);
        }
    }

    private async Task<TokenOutcome> RequestTokenWithRetriesAsync(CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            string reason;
            RingCentralLog.RequestingToken(logger, attempt);
            try
            {
                using var response = await PostTokenRequestAsync(ct);
                var status = (int)response.StatusCode;
                if (response.IsSuccessStatusCode)
                {
                    return await ReadTokenAsync(response, ct);
                }

                if (status < 500)
                {
                    var (errorCode, _) = await ReadErrorAsync(response, ct);
                    RingCentralLog.TokenRefused(logger, status, errorCode);
                    return TokenOutcome.Failed(response.StatusCode == HttpStatusCode.TooManyRequests
                        ? SmsSendResult.Failed(SmsFailureKind.RateLimited, errorCode, RetryAfter(response))
                        : SmsSendResult.Failed(SmsFailureKind.Misconfigured, errorCode)); // invalid_client, OAU-*
                }

                reason = $"HTTP {status}";
            }
            catch (HttpRequestException ex)
            {
                reason = $"connection failed: {ex.HttpRequestError}";
            }

            if (attempt > TokenRetryDelays.Length)
            {
                RingCentralLog.TokenUnavailable(logger, reason);
                return TokenOutcome.Failed(SmsSendResult.Failed(SmsFailureKind.ProviderUnavailable));
            }

            var delay = TokenRetryDelays[attempt - 1];
            RingCentralLog.TokenRetry(logger, reason, delay);
            await Task.Delay(delay, ct);
        }
    }

    private async Task<HttpResponseMessage> PostTokenRequestAsync(CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, TokenPath)
        {
            Content = new FormUrlEncodedContent(
            [
                new("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"),
                new("assertion", options.Jwt!),
            ]),
        };
        var basic = Convert.ToBase64String(Encoding.UTF8.GetBytes($"{options.ClientId}:{options.ClientSecret}"));
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", basic);
        return await http.SendAsync(request, HttpCompletionOption.ResponseContentRead, ct);
    }

    private async Task<TokenOutcome> ReadTokenAsync(HttpResponseMessage response, CancellationToken ct)
    {
        TokenResponse? token;
        try
        {
            token = await response.Content.ReadFromJsonAsync(RingCentralJsonContext.Default.TokenResponse, ct);
        }
        catch (JsonException)
        {
            token = null;
        }

        if (string.IsNullOrEmpty(token?.AccessToken) || token.ExpiresIn <= 0)
        {
            RingCentralLog.TokenUnavailable(logger, "the token response was unreadable");
            return TokenOutcome.Failed(SmsSendResult.Failed(SmsFailureKind.ProviderUnavailable));
        }

        var lifetime = TimeSpan.FromSeconds(token.ExpiresIn);
        // A margin longer than the lifetime would renew on every send: keep at least half of it usable.
        var margin = options.TokenRenewalMargin < lifetime / 2 ? options.TokenRenewalMargin : lifetime / 2;
        RingCentralLog.TokenObtained(logger, lifetime);
        return TokenOutcome.Success(token.AccessToken, timeProvider.GetUtcNow() + lifetime - margin);
    }

    private TimeSpan RetryAfter(HttpResponseMessage response)
    {
        var header = response.Headers.RetryAfter;
        var retryAfter = header?.Delta ?? (header?.Date is { } date ? date - timeProvider.GetUtcNow() : (TimeSpan?)null);
        return retryAfter is { } value && value > TimeSpan.Zero ? value : DefaultRetryAfter;
    }

    /// <summary><c>errors[0].errorCode</c> (or the OAuth <c>error</c>) and <c>errors[0].parameterName</c>; never the message text.</summary>
    private static async Task<(string? ErrorCode, string? ParameterName)> ReadErrorAsync(HttpResponseMessage response, CancellationToken ct)
    {
        try
        {
            var error = await response.Content.ReadFromJsonAsync(RingCentralJsonContext.Default.ErrorResponse, ct);
            var first = error?.Errors is [var head, ..] ? head : null;
            return (first?.ErrorCode ?? error?.Error, first?.ParameterName);
        }
        catch (JsonException)
        {
            return (null, null);
        }
        catch (NotSupportedException)
        {
            return (null, null); // not JSON (for example an HTML page from a proxy)
        }
    }
}

internal sealed record CallerInfo(string PhoneNumber);

internal sealed record SmsRequest(CallerInfo From, IReadOnlyList<CallerInfo> To, string Text);

internal sealed record MessageResponse(JsonElement Id, string? MessageStatus);

internal sealed record TokenResponse(
    [property: JsonPropertyName("access_token")] string? AccessToken,
    [property: JsonPropertyName("expires_in")] int ExpiresIn);

internal sealed record ErrorResponse(string? Error, IReadOnlyList<ErrorDetail>? Errors);

internal sealed record ErrorDetail(string? ErrorCode, string? ParameterName);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(SmsRequest))]
[JsonSerializable(typeof(MessageResponse))]
[JsonSerializable(typeof(TokenResponse))]
[JsonSerializable(typeof(ErrorResponse))]
internal sealed partial class RingCentralJsonContext : JsonSerializerContext;
