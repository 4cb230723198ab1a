using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace IdentityTwoFactor.FakeRingCentral;

/// <summary>An in-process HTTP server that answers the two RingCentral calls the site makes (JWT grant, send SMS) the
/// way the real API does, records every accepted text, counts requests and injects failures on demand.
/// Credentials are random per instance: point the client at <see cref="Url"/> with <see cref="ClientId"/>,
/// <see cref="ClientSecret"/>, <see cref="Jwt"/> and <see cref="FromNumber"/>.</summary>
public sealed partial class FakeRingCentralServer : IAsyncDisposable
{
    public const string TokenPath = "/restapi/oauth/token";
    public const string RevokePath = "/restapi/oauth/revoke";
    public const string SmsPath = "/restapi/v1.0/account/~/extension/~/sms";
    private const string JwtGrantType = "urn:ietf:params:oauth:grant-type:jwt-bearer";

    private readonly TimeProvider timeProvider;
    private readonly ConcurrentDictionary<string, DateTimeOffset> tokens = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> issuedTokens = new();
    private readonly Lock gate = new();
    private readonly List<FakeSms> messages = [];
    private readonly Queue<FakeFailure> nextFailures = new();
    private FakeFailure? persistentFailure;
    private WebApplication? app;
    private int tokenRequests;
    private int smsRequests;
    private int smsRequestsWithoutContentLength;
    private int revokeRequests;
    private long nextMessageId = 1_900_000_000;

    /// <param name="timeProvider">Decides token expiry; share a FakeTimeProvider with the client to expire tokens without waiting.</param>
    public FakeRingCentralServer(TimeProvider? timeProvider = null) => this.timeProvider = timeProvider ?? TimeProvider.System;

    public string ClientId { get; init; } = "fake-client-" + RandomNumberGenerator.GetHexString(8, lowercase: true);
    public string ClientSecret { get; init; } = "fake-secret-" + RandomNumberGenerator.GetHexString(24, lowercase: true);
    public string Jwt { get; init; } = "eyJfake." + RandomNumberGenerator.GetHexString(40, lowercase: true) + ".sig";
    public string FromNumber { get; init; } = "+16505550100";

    /// <summary><c>expires_in</c> of issued access tokens.</summary>
    public TimeSpan TokenLifetime { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Added (in real time) to every SMS request; benchmarks use about 300 ms, like the real API.</summary>
    public TimeSpan SmsLatency { get; set; } = TimeSpan.Zero;

    /// <summary>For example <c>http://127.0.0.1:41234</c>; valid after <see cref="StartAsync"/>.</summary>
    public string Url { get; private set; } = string.Empty;

    public Uri BaseAddress => new(Url);

    public bool IsRunning => app is not null;

    public int TokenRequests => Volatile.Read(ref tokenRequests);

    /// <summary>Every POST to the SMS endpoint, accepted or not.</summary>
    public int SmsRequests => Volatile.Read(ref smsRequests);

    public int RevokeRequests => Volatile.Read(ref revokeRequests);

    /// <summary>SMS requests that came without a Content-Length (chunked): some gateways in front of APIs refuse those.</summary>
    public int SmsRequestsWithoutContentLength => Volatile.Read(ref smsRequestsWithoutContentLength);

    /// <summary>Every access token issued so far (tests check they never reach a log).</summary>
    public IReadOnlyList<string> IssuedTokens => [.. issuedTokens];

    /// <summary>Accepted texts, oldest first.</summary>
    public IReadOnlyList<FakeSms> Messages
    {
        get
        {
            lock (gate)
            {
                return [.. messages];
            }
        }
    }

    /// <summary>Starts a server on a free loopback port.</summary>
    public static async Task<FakeRingCentralServer> StartNewAsync(TimeProvider? timeProvider = null)
    {
        var server = new FakeRingCentralServer(timeProvider);
        await server.StartAsync();
        return server;
    }

    public async Task StartAsync()
    {
        if (app is not null)
        {
            return;
        }

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        // A restart listens on the same port, so a client configured with Url finds it again.
        builder.WebHost.UseUrls(string.IsNullOrEmpty(Url) ? "http://127.0.0.1:0" : Url);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(2));
        var web = builder.Build();
        web.MapPost(TokenPath, (Func<HttpContext, Task<IResult>>)HandleTokenAsync);
        web.MapPost(RevokePath, (Func<HttpContext, IResult>)HandleRevoke);
        web.MapPost(SmsPath, (Func<HttpContext, Task<IResult>>)HandleSmsAsync);
        await web.StartAsync();
        Url = web.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First().TrimEnd('/');
        app = web;
    }

    /// <summary>Stops listening: from now on the port refuses connections (until <see cref="StartAsync"/> listens on it again).</summary>
    public async Task StopAsync()
    {
        if (app is { } web)
        {
            app = null;
            await web.StopAsync();
            await web.DisposeAsync();
        }
    }

    public async ValueTask DisposeAsync() => await StopAsync();

    /// <summary>A loopback URL on which nothing listens (connections are refused).</summary>
    public static string UnusedLoopbackUrl()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return $"http://127.0.0.1:{port}";
    }

    /// <summary>The next <paramref name="times"/> SMS requests fail with <paramref name="failure"/>.</summary>
    public void FailNextSms(FakeFailure failure, int times = 1)
    {
        lock (gate)
        {
            for (var i = 0; i < times; i++)
            {
                nextFailures.Enqueue(failure);
            }
        }
    }

    /// <summary>Every SMS request fails with <paramref name="failure"/> until <see cref="ClearFailures"/>.</summary>
    public void FailAllSms(FakeFailure failure)
    {
        lock (gate)
        {
            persistentFailure = failure;
        }
    }

    public void ClearFailures()
    {
        lock (gate)
        {
            nextFailures.Clear();
            persistentFailure = null;
        }
    }

    /// <summary>Invalidates every issued access token (the next SMS request gets a 401).</summary>
    public void RevokeAllTokens() => tokens.Clear();

    public FakeSms? LastMessageTo(string phoneNumber)
    {
        lock (gate)
        {
            return messages.LastOrDefault(m => m.To == phoneNumber);
        }
    }

    /// <summary>The first six-digit run in the last text to <paramref name="phoneNumber"/>, or null.</summary>
    public string? LastCodeSentTo(string phoneNumber) =>
        LastMessageTo(phoneNumber) is { } message && SixDigits().Match(message.Text) is { Success: true } match ? match.Value : null;

    /// <summary>Waits until <paramref name="count"/> texts to <paramref name="phoneNumber"/> have arrived; returns the last.</summary>
    public async Task<FakeSms> WaitForMessageAsync(string phoneNumber, int count = 1, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(10));
        while (true)
        {
            lock (gate)
            {
                var received = messages.Where(m => m.To == phoneNumber).ToList();
                if (received.Count >= count)
                {
                    return received[^1];
                }
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"No text number {count} to {phoneNumber} arrived at the fake RingCentral server.");
            }

            await Task.Delay(20);
        }
    }

    private async Task<IResult> HandleTokenAsync(HttpContext context)
    {
        Interlocked.Increment(ref tokenRequests);
        RateLimitHeaders(context, "Auth", 5);

        var expectedBasic = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{ClientId}:{ClientSecret}"));
        if (context.Request.Headers.Authorization.ToString() != expectedBasic)
        {
            return OAuthError(StatusCodes.Status401Unauthorized, "invalid_client", "OAU-123", "Client authentication is required");
        }

        if (!context.Request.HasFormContentType)
        {
            return OAuthError(StatusCodes.Status400BadRequest, "invalid_request", "OAU-250", "Unsupported content type");
        }

        var form = await context.Request.ReadFormAsync(context.RequestAborted);
        if (form["grant_type"] != JwtGrantType)
        {
            return OAuthError(StatusCodes.Status400BadRequest, "unsupported_grant_type", "OAU-250", "Unsupported grant type");
        }

        if (form["assertion"] != Jwt)
        {
            return OAuthError(StatusCodes.Status400BadRequest, "invalid_grant", "OAU-140", "Invalid token");
        }

        var accessToken = "fake-at-" + RandomNumberGenerator.GetHexString(48, lowercase: true);
        var lifetime = TokenLifetime;
        tokens[accessToken] = timeProvider.GetUtcNow() + lifetime;
        issuedTokens.Enqueue(accessToken);
        return Results.Json(new Dictionary<string, object>
        {
            ["access_token"] = accessToken,
            ["token_type"] = "bearer",
            ["expires_in"] = (int)lifetime.TotalSeconds,
            ["refresh_token"] = "fake-rt-" + RandomNumberGenerator.GetHexString(48, lowercase: true),
            ["refresh_token_expires_in"] = 604800,
            ["scope"] = "SMS ReadMessages",
            ["owner_id"] = "101",
            ["endpoint_id"] = "fake-endpoint",
        });
    }

    private IResult HandleRevoke(HttpContext context)
    {
        Interlocked.Increment(ref revokeRequests);
        RateLimitHeaders(context, "Auth", 5);
        return Results.Ok();
    }

    private async Task<IResult> HandleSmsAsync(HttpContext context)
    {
        Interlocked.Increment(ref smsRequests);
        if (context.Request.ContentLength is null)
        {
            Interlocked.Increment(ref smsRequestsWithoutContentLength);
        }
        RateLimitHeaders(context, "Medium", 40);
        await DelayAsync(SmsLatency, context.RequestAborted);

        var failure = TakeFailure();
        if (failure?.Kind == FakeFailureKind.Slow)
        {
            await DelayAsync(failure.Delay, context.RequestAborted);
        }

        if (failure?.Kind == FakeFailureKind.Unauthorized || !HasValidToken(context))
        {
            return Json(StatusCodes.Status401Unauthorized, new
            {
                errorCode = "TokenInvalid",
                message = "Access token is invalid or expired",
                errors = new[] { new { errorCode = "OAU-213", message = "Token not found" } },
            });
        }

        switch (failure?.Kind)
        {
            case FakeFailureKind.RateLimited:
                if (failure.RetryAfterSeconds is { } seconds)
                {
                    context.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
                }

                return Error(StatusCodes.Status429TooManyRequests, failure.RetryAfterSeconds is null ? "CMN-301" : "MSG-305", "Request rate exceeded");
            case FakeFailureKind.ServerError:
                return Error(StatusCodes.Status500InternalServerError, "CMN-201", "Service temporary unavailable");
            case FakeFailureKind.BlockedNumber:
                return Error(StatusCodes.Status400BadRequest, "MSG-243", "The recipient has opted out of messages from this number", "to");
        }

        JsonNode? body;
        try
        {
            body = await JsonNode.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted);
        }
        catch (JsonException)
        {
            return Error(StatusCodes.Status400BadRequest, "CMN-101", "Request body is not valid JSON");
        }

        var from = body?["from"]?["phoneNumber"]?.GetValueKind() == JsonValueKind.String ? (string?)body["from"]!["phoneNumber"] : null;
        var to = body?["to"] is JsonArray { Count: 1 } toArray && toArray[0]?["phoneNumber"]?.GetValueKind() == JsonValueKind.String
            ? (string?)toArray[0]!["phoneNumber"]
            : null;
        var text = body?["text"]?.GetValueKind() == JsonValueKind.String ? (string?)body["text"] : null;
        if (from != FromNumber)
        {
            return Error(StatusCodes.Status400BadRequest, "MSG-245", "Phone number doesn't belong to extension", "from");
        }

        if (to is null || !E164().IsMatch(to))
        {
            return Error(StatusCodes.Status400BadRequest, "CMN-101", "Parameter [to.phoneNumber] value is invalid", "to[0].phoneNumber");
        }

        if (string.IsNullOrEmpty(text) || text.Length > 1000)
        {
            return Error(StatusCodes.Status400BadRequest, "CMN-101", "Parameter [text] value is invalid", "text");
        }

        var id = Interlocked.Increment(ref nextMessageId);
        var now = timeProvider.GetUtcNow();
        var status = failure?.Kind == FakeFailureKind.SendingFailed ? "SendingFailed" : "Queued";
        if (status == "Queued")
        {
            lock (gate)
            {
                messages.Add(new FakeSms(id.ToString(CultureInfo.InvariantCulture), to, from, text, now));
            }
        }

        var created = now.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture);
        return Results.Json(new
        {
            uri = $"{Url}/restapi/v1.0/account/101/extension/101/message-store/{id}",
            id,
            to = new[] { new { phoneNumber = to, location = "Fake City, CA" } },
            from = new { phoneNumber = from, name = "Fake Site", location = "Fake City, CA" },
            type = "SMS",
            creationTime = created,
            readStatus = "Read",
            priority = "Normal",
            attachments = new[] { new { id, uri = $"{Url}/restapi/v1.0/account/101/extension/101/message-store/{id}/content/{id}", type = "Text", contentType = "text/plain" } },
            direction = "Outbound",
            availability = "Alive",
            subject = text,
            messageStatus = status,
            smsSendingAttemptsCount = 1,
            conversationId = id + 7,
            conversation = new { id = (id + 7).ToString(CultureInfo.InvariantCulture), uri = $"{Url}/restapi/v1.0/conversation/{id + 7}" },
            lastModifiedTime = created,
        });
    }

    private FakeFailure? TakeFailure()
    {
        lock (gate)
        {
            return nextFailures.TryDequeue(out var next) ? next : persistentFailure;
        }
    }

    private bool HasValidToken(HttpContext context)
    {
        var header = context.Request.Headers.Authorization.ToString();
        return header.StartsWith("Bearer ", StringComparison.Ordinal) &&
            tokens.TryGetValue(header["Bearer ".Length..], out var expiresAt) &&
            timeProvider.GetUtcNow() < expiresAt;
    }

    /// <summary>Real-time delay; if the client gives up, the fake carries on, as a real provider might.</summary>
    private static async Task DelayAsync(TimeSpan delay, CancellationToken requestAborted)
    {
        if (delay <= TimeSpan.Zero)
        {
            return;
        }

        try
        {
            await Task.Delay(delay, requestAborted);
        }
        catch (OperationCanceledException)
        {
        }
    }

    private static void RateLimitHeaders(HttpContext context, string group, int limit)
    {
        var headers = context.Response.Headers;
        headers["X-Rate-Limit-Group"] = group;
        headers["X-Rate-Limit-Limit"] = limit.ToString(CultureInfo.InvariantCulture);
        headers["X-Rate-Limit-Remaining"] = (limit - 1).ToString(CultureInfo.InvariantCulture);
        headers["X-Rate-Limit-Window"] = "60";
    }

    private static IResult OAuthError(int status, string error, string errorCode, string message) =>
        Json(status, new { error, error_description = message, errors = new[] { new { errorCode, message } } });

    private static IResult Error(int status, string errorCode, string message, string? parameterName = null) =>
        Json(status, new { errors = new[] { new { errorCode, message, parameterName } } });

    private static IResult Json(int status, object body) => Results.Json(body, statusCode: status);

    [GeneratedRegex(@"^\+[1-9]\d{6,14}$")]
    private static partial Regex E164();

    [GeneratedRegex(@"\d{6}")]
    private static partial Regex SixDigits();
}
