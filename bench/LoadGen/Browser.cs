using System.Net;
using System.Text.RegularExpressions;

namespace IdentityTwoFactor.Bench.LoadGen;

/// <summary>One HTTP answer, reduced to what the scenarios check (<paramref name="RetryAfter"/>: it had a Retry-After header).</summary>
internal readonly record struct Answer(int Status, string? Location, string Body, bool RetryAfter = false)
{
    public override string ToString() => $"{Status}{(Location is null ? "" : " -> " + Location)}";
}

/// <summary>
/// A browser-like client: its own cookie jar, no automatic redirects. The jar ignores the <c>Secure</c> flag on
/// purpose: in Production the site marks its cookies Secure, and the bench talks plain http over loopback, where
/// <see cref="CookieContainer"/> would drop them (antiforgery would then answer 400). So the handler runs with
/// <c>UseCookies=false</c> and this class copies Set-Cookie name=value pairs into a Cookie header itself.
/// </summary>
internal sealed partial class Browser(HttpClient http)
{
    private readonly Dictionary<string, string> _cookies = new(StringComparer.Ordinal);

    public void ClearCookies() => _cookies.Clear();

    public Task<Answer> GetAsync(string path, CancellationToken ct) => SendAsync(new HttpRequestMessage(HttpMethod.Get, path), ct);

    public Task<Answer> PostFormAsync(string path, IEnumerable<KeyValuePair<string, string>> fields, CancellationToken ct) =>
        SendAsync(new HttpRequestMessage(HttpMethod.Post, path) { Content = new FormUrlEncodedContent(fields) }, ct);

    /// <summary>GET the form, read its antiforgery token, POST the fields with the token.</summary>
    public async Task<Answer> SubmitFormAsync(string formPath, string postPath, IEnumerable<KeyValuePair<string, string>> fields, CancellationToken ct)
    {
        var form = await GetAsync(formPath, ct);
        if (form.Status != 200)
        {
            return form;
        }
        var token = AntiforgeryToken(form.Body) ?? throw new InvalidOperationException($"GET {formPath}: no antiforgery token in the page.");
        return await PostFormAsync(postPath, fields.Append(new("__RequestVerificationToken", token)), ct);
    }

    public static string? AntiforgeryToken(string html)
    {
        var match = TokenPattern().Match(html);
        return match.Success ? WebUtility.HtmlDecode(match.Groups[1].Value) : null;
    }

    private async Task<Answer> SendAsync(HttpRequestMessage request, CancellationToken ct)
    {
        using (request)
        {
            if (_cookies.Count > 0)
            {
                request.Headers.TryAddWithoutValidation("Cookie", string.Join("; ", _cookies.Select(c => c.Key + "=" + c.Value)));
            }
            using var response = await http.SendAsync(request, ct);
            if (response.Headers.TryGetValues("Set-Cookie", out var setCookies))
            {
                foreach (var header in setCookies)
                {
                    Remember(header);
                }
            }
            var body = await response.Content.ReadAsStringAsync(ct);
            return new Answer((int)response.StatusCode, response.Headers.Location?.OriginalString, body, response.Headers.RetryAfter is not null);
        }
    }

    private void Remember(string setCookie)
    {
        var pair = setCookie.Split(';', 2)[0];
        var eq = pair.IndexOf('=', StringComparison.Ordinal);
        if (eq <= 0)
        {
            return;
        }
        var name = pair[..eq].Trim();
        var value = pair[(eq + 1)..].Trim();
        var expired = setCookie.Contains("expires=Thu, 01 Jan 1970", StringComparison.OrdinalIgnoreCase);
        if (value.Length == 0 || expired)
        {
            _cookies.Remove(name);
        }
        else
        {
            _cookies[name] = value;
        }
    }

    [GeneratedRegex("name=\"__RequestVerificationToken\" type=\"hidden\" value=\"([^\"]+)\"")]
    private static partial Regex TokenPattern();
}
