using System.Security.Cryptography;
using System.Text;
using IdentityTwoFactor.Identity;

namespace IdentityTwoFactor.Web;

/// <summary>
/// A code-entering client is a browser on a network: its antiforgery cookie (every form post carries one) and its
/// address, an IPv6 address by its /64 (the per-client rate limit's key). Only a hash of the two is kept.
/// </summary>
public sealed class AntiforgeryCookieClient(IHttpContextAccessor http) : ICodeGuessClient
{
    public const string AntiforgeryCookie = "itf.af";

    public string? CurrentClientKey()
    {
        if (http.HttpContext is not { } context)
        {
            return null;
        }
        var cookie = context.Request.Cookies[AntiforgeryCookie] ?? "";
        var network = RateLimiting.ClientKey(context.Connection.RemoteIpAddress);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(cookie + "\n" + network)));
    }
}
