using System.Net;
using System.Text.RegularExpressions;

namespace IdentityTwoFactor.Tests.Unit.Support;

/// <summary>What a browser without JavaScript does: GET a form, read its antiforgery token, POST it, follow the redirect.</summary>
public sealed partial class FormClient(HttpClient http, Func<string, string?>? codeSentTo = null) : IDisposable
{
    private static readonly IdentityTwoFactor.Identity.PhoneNumberNormalizer Phones =
        new(Microsoft.Extensions.Options.Options.Create(new IdentityTwoFactor.Identity.PhoneOptions()));

    public HttpClient Http { get; } = http;

    /// <summary>The client's cookie jar, when the test can reach it (clients made by <see cref="SiteFactory.NewClient"/>).</summary>
    public CookieContainer? Cookies { get; init; }

    /// <summary>Copies one cookie of this client into <paramref name="other"/>'s jar, as an attacker who stole it would.</summary>
    public void CopyCookieTo(FormClient other, string name)
    {
        var uri = Http.BaseAddress!;
        var cookie = Cookies!.GetCookies(uri)[name] ?? throw new InvalidOperationException($"The client has no cookie {name}.");
        other.Cookies!.Add(uri, new Cookie(cookie.Name, cookie.Value, cookie.Path, cookie.Domain) { Secure = cookie.Secure, HttpOnly = cookie.HttpOnly });
    }

    [GeneratedRegex("name=\"__RequestVerificationToken\" type=\"hidden\" value=\"([^\"]+)\"")]
    private static partial Regex TokenPattern();

    [GeneratedRegex("<p class=\"flash [^\"]+\"[^>]*>([^<]*)</p>")]
    private static partial Regex FlashPattern();

    public async Task<string> GetTokenAsync(string path)
    {
        var html = await Http.GetStringAsync(new Uri(path, UriKind.Relative));
        return WebUtility.HtmlDecode(TokenPattern().Match(html).Groups[1].Value);
    }

    /// <summary>GETs <paramref name="formPath"/> for a token, then POSTs the fields (plus the token) to <paramref name="postPath"/>.</summary>
    public async Task<HttpResponseMessage> PostFormAsync(string formPath, IEnumerable<KeyValuePair<string, string>> fields, string? postPath = null, bool withToken = true)
    {
        var all = fields.ToList();
        if (withToken)
        {
            all.Add(new("__RequestVerificationToken", await GetTokenAsync(formPath)));
        }
        using var content = new FormUrlEncodedContent(all);
        return await Http.PostAsync(new Uri(postPath ?? formPath, UriKind.Relative), content);
    }

    public Task<HttpResponseMessage> PostFormAsync(string path, params (string Name, string Value)[] fields) =>
        PostFormAsync(path, fields.Select(f => new KeyValuePair<string, string>(f.Name, f.Value)));

    /// <summary>Follows one redirect and returns the page's HTML.</summary>
    public async Task<string> FollowAsync(HttpResponseMessage response)
    {
        if ((int)response.StatusCode is < 300 or > 399)
        {
            return await response.Content.ReadAsStringAsync();
        }
        return await Http.GetStringAsync(response.Headers.Location);
    }

    /// <summary>The flash messages (info and error) of a page.</summary>
    public static IReadOnlyList<string> Flashes(string html) =>
        FlashPattern().Matches(html).Select(m => WebUtility.HtmlDecode(m.Groups[1].Value)).ToList();

    /// <summary>Where confirming the phone after signup leads: the page that shows the first recovery codes once.</summary>
    public const string AfterSignUp = "/recovery-codes";

    /// <summary>The recovery codes the last <see cref="SignUpAsync"/> was shown.</summary>
    public IReadOnlyList<string> RecoveryCodes { get; private set; } = [];

    [GeneratedRegex("<li><code>([2-9A-Z]{5}-[2-9A-Z]{5})</code></li>")]
    private static partial Regex RecoveryCodePattern();

    /// <summary>The recovery codes a page shows.</summary>
    public static IReadOnlyList<string> RecoveryCodesIn(string html) =>
        RecoveryCodePattern().Matches(html).Select(m => m.Groups[1].Value).ToList();

    /// <summary>Signs up and, as a person would, confirms the phone with the texted code and reads the recovery codes
    /// shown next (<see cref="RecoveryCodes"/>). Returns the confirmation's redirect to <see cref="AfterSignUp"/>, or the
    /// signup's own answer when it did not lead to /confirm-phone.</summary>
    public async Task<HttpResponseMessage> SignUpAsync(string email, string password, string phone = "(650) 253-0000", string firstName = "Ada")
    {
        var signup = await PostFormAsync("/signup",
            ("Input.Email", email), ("Input.Password", password), ("Input.ConfirmPassword", password),
            ("Input.Phone", phone), ("Input.FirstName", firstName), ("Input.LastName", "Lovelace"));
        if (signup.Headers.Location?.OriginalString != "/confirm-phone" || codeSentTo is null)
        {
            return signup;
        }
        var code = codeSentTo(Phones.ToE164(phone)!) ?? throw new InvalidOperationException($"No code was texted to {phone}.");
        var confirmed = await PostFormAsync("/confirm-phone", ("Input.Email", email), ("Input.Code", code));
        if (confirmed.Headers.Location?.OriginalString == AfterSignUp)
        {
            RecoveryCodes = RecoveryCodesIn(await Http.GetStringAsync(new Uri(AfterSignUp, UriKind.Relative)));
        }
        return confirmed;
    }

    public Task<HttpResponseMessage> LogInAsync(string email, string password) =>
        PostFormAsync("/login", ("Input.Email", email), ("Input.Password", password));

    public Task<HttpResponseMessage> UnlockAsync(string email, string code) =>
        PostFormAsync("/unlock", ("Input.Email", email), ("Input.Code", code));

    public Task<HttpResponseMessage> ResendUnlockAsync(string email) =>
        PostFormAsync("/unlock", [new("Input.Email", email)], "/unlock?handler=Resend");

    public void Dispose() => Http.Dispose();
}
