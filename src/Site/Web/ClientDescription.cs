using System.Net;

namespace IdentityTwoFactor.Web;

/// <summary>Short, phone-width descriptions of a client for the account page: "Firefox on Linux", "203.0.113.x".</summary>
public static class ClientDescription
{
    // Order matters: Edge and Opera also say "Chrome", Chrome also says "Safari".
    private static readonly (string Token, string Name)[] Browsers =
    [
        ("Edg/", "Edge"), ("OPR/", "Opera"), ("Firefox/", "Firefox"), ("Chromium/", "Chromium"), ("HeadlessChrome/", "Chrome"),
        ("Chrome/", "Chrome"), ("CriOS/", "Chrome"), ("FxiOS/", "Firefox"), ("Safari/", "Safari"), ("curl/", "curl"),
    ];

    private static readonly (string Token, string Name)[] Systems =
    [
        ("Android", "Android"), ("iPhone", "iPhone"), ("iPad", "iPad"), ("Windows", "Windows"), ("Mac OS X", "macOS"),
        ("CrOS", "ChromeOS"), ("Linux", "Linux"),
    ];

    /// <summary>"Browser on system" from a User-Agent header; "Unknown browser" when nothing is recognised.</summary>
    public static string Browser(string? userAgent)
    {
        if (string.IsNullOrWhiteSpace(userAgent))
        {
            return "Unknown browser";
        }
        var browser = Browsers.FirstOrDefault(b => userAgent.Contains(b.Token, StringComparison.Ordinal)).Name ?? "Unknown browser";
        var system = Systems.FirstOrDefault(s => userAgent.Contains(s.Token, StringComparison.Ordinal)).Name;
        return system is null ? browser : $"{browser} on {system}";
    }

    /// <summary>The network, not the host: the last IPv4 byte, or all but the first three IPv6 groups, hidden.</summary>
    public static string MaskedAddress(string? address)
    {
        if (!IPAddress.TryParse(address, out var ip))
        {
            return "unknown address";
        }
        if (ip.IsIPv4MappedToIPv6)
        {
            ip = ip.MapToIPv4();
        }
        if (ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork)
        {
            var bytes = ip.GetAddressBytes();
            return $"{bytes[0]}.{bytes[1]}.{bytes[2]}.x";
        }
        var groups = ip.GetAddressBytes().Chunk(2).Take(3).Select(g => ((g[0] << 8) | g[1]).ToString("x", System.Globalization.CultureInfo.InvariantCulture));
        return string.Join(':', groups) + ":x:x:x:x:x";
    }
}
