namespace IdentityTwoFactor.Web;

/// <summary>
/// The antiforgery cookie outside Development: always Secure, even when written on a plain-HTTP request.
/// </summary>
/// <remarks>
/// Antiforgery throws (a 500 on every page with a form) when <see cref="CookieSecurePolicy.Always"/> meets a non-SSL
/// request. This builder reports <see cref="CookieSecurePolicy.SameAsRequest"/> to antiforgery, so the page renders,
/// but still marks the cookie Secure: a browser on plain HTTP does not keep it, and the form post is refused with a
/// clear page by <see cref="HttpsRequirement"/>. Over HTTPS nothing changes.
/// </remarks>
internal sealed class AlwaysSecureCookieBuilder : CookieBuilder
{
    public AlwaysSecureCookieBuilder() => SecurePolicy = CookieSecurePolicy.SameAsRequest;

    public override CookieOptions Build(HttpContext context, DateTimeOffset expiresFrom)
    {
        var options = base.Build(context, expiresFrom);
        options.Secure = true;
        return options;
    }
}
