using System.Net;

namespace IdentityTwoFactor.Tests.Unit.Support;

/// <summary>A browser's cookie jar for the in-process test server, open to the test: an attacker's copy of a cookie is
/// one <see cref="CookieContainer.Add(Cookie)"/> away.</summary>
public sealed class CookieJarHandler(CookieContainer jar) : DelegatingHandler
{
    public CookieContainer Jar { get; } = jar;

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var uri = request.RequestUri!;
        var header = Jar.GetCookieHeader(uri);
        if (!string.IsNullOrEmpty(header))
        {
            request.Headers.Remove("Cookie");
            request.Headers.Add("Cookie", header);
        }
        var response = await base.SendAsync(request, cancellationToken);
        if (response.Headers.TryGetValues("Set-Cookie", out var setCookies))
        {
            foreach (var setCookie in setCookies)
            {
                Jar.SetCookies(uri, setCookie);
            }
        }
        return response;
    }
}
