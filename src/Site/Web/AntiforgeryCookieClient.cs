using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using IdentityTwoFactor.Identity;

namespace IdentityTwoFactor.Web;

/// <summary>
/// A code-entering client is a browser on a network: its antiforgery cookie (every form post carries one) and its
/// address, an IPv6 address by its /64. Only a hash of the two is kept.
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
        var network = NetworkOf(context.Connection.RemoteIpAddress);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(cookie + "\n" + network)));
    }

    /// <summary>The address, or for IPv6 its /64: one host there commonly holds a whole /64.</summary>
    public static string NetworkOf(IPAddress? address)
    {
        if (address is null)
        {
            return "";
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
