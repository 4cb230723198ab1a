using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace IdentityTwoFactor.Codes;

/// <summary>
/// Tells who is entering a code, so that a stranger's wrong guess ends only that stranger's use of the code instead of
/// burning it for the owner's phone. Where it returns null (outside a request) a wrong guess burns the code for
/// everyone: the plain one-guess rule.
/// </summary>
public interface ISmsCodeClient
{
    /// <summary>A stable, opaque key (at most 64 characters) for the client of the current request, or null when there
    /// is no request.</summary>
    /// <returns>The key, or null.</returns>
    string? CurrentClientKey();
}

/// <summary>
/// The default <see cref="ISmsCodeClient"/>: a browser on a network, that is the SHA-256 of the request's antiforgery
/// cookie (every form post of an ASP.NET Core app carries one) and of its network (an IPv4 address, or an IPv6
/// address's /64, the block one host usually holds). Neither appears in the key. A client without the cookie is keyed
/// by its network alone.
/// </summary>
/// <param name="http">The current request.</param>
/// <param name="antiforgery">The app's antiforgery settings (the cookie's name).</param>
public sealed class HttpContextSmsCodeClient(IHttpContextAccessor http, IOptions<AntiforgeryOptions> antiforgery) : ISmsCodeClient
{
    /// <inheritdoc />
    public string? CurrentClientKey()
    {
        if (http.HttpContext is not { } context)
        {
            return null;
        }
        var cookieName = antiforgery.Value.Cookie.Name;
        var cookie = cookieName is null ? "" : context.Request.Cookies[cookieName] ?? "";
        var network = Network(context.Connection.RemoteIpAddress);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(cookie + "\n" + network)));
    }

    /// <summary>An IPv4 address as it is, an IPv6 address by its /64.</summary>
    /// <param name="address">The remote address, or null.</param>
    /// <returns>The network's text.</returns>
    public static string Network(IPAddress? address)
    {
        if (address is null)
        {
            return "unknown";
        }
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }
        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return address.ToString();
        }
        var bytes = address.GetAddressBytes();
        Array.Clear(bytes, 8, 8);
        return new IPAddress(bytes) + "/64";
    }
}
