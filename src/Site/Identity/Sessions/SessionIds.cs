using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace IdentityTwoFactor.Identity.Sessions;

/// <summary>How a session key (in the cookie) maps to its stored id, and where the current request's id is kept.</summary>
public static class SessionIds
{
    /// <summary>The <see cref="HttpContext.Items"/> key of the current request's session id.</summary>
    public const string CurrentItem = "IdentityTwoFactor.SessionId";

    /// <summary>The stored id of a session key: its SHA-256, so the database alone never holds a usable key.</summary>
    public static string Of(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));

    /// <summary>The id of the session this request was authenticated with, if any.</summary>
    public static string? Current(HttpContext context) => context.Items[CurrentItem] as string;
}
