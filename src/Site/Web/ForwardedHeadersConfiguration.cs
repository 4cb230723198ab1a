using System.Globalization;
using System.Net;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.Options;
using IPNetwork = System.Net.IPNetwork;

namespace IdentityTwoFactor.Web;

/// <summary>Reads and checks the <c>ForwardedHeaders</c> section. Lists are accepted both as .NET arrays
/// (<c>ForwardedHeaders__KnownProxies__0</c>) and as one comma-separated value (<c>ForwardedHeaders__KnownProxies</c>),
/// which is what an operator types into an environment variable.</summary>
internal sealed class ForwardedHeadersConfiguration(IConfiguration configuration)
    : IConfigureOptions<ForwardedHeadersOptions>, IValidateOptions<ForwardedHeadersOptions>
{
    private const int MaxForwardLimit = 10;

    public void Configure(ForwardedHeadersOptions options)
    {
        var settings = Read(out _);
        options.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
        // ASP.NET Core's defaults (127.0.0.0/8 and ::1) stay: a proxy on the same machine works with no setting.
        foreach (var proxy in settings.Proxies)
        {
            options.KnownProxies.Add(proxy);
        }
        foreach (var network in settings.Networks)
        {
            options.KnownIPNetworks.Add(network);
        }
        options.ForwardLimit = settings.ForwardLimit;
        if (settings.AllowedHosts.Count > 0)
        {
            // X-Forwarded-Host rewrites Request.Host, so it is read only when the operator lists the hosts it may name.
            options.ForwardedHeaders |= ForwardedHeaders.XForwardedHost;
            options.AllowedHosts = settings.AllowedHosts;
        }
    }

    public ValidateOptionsResult Validate(string? name, ForwardedHeadersOptions options)
    {
        Read(out var problems);
        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }

    private Settings Read(out List<string> problems)
    {
        problems = [];
        var section = configuration.GetSection(ForwardedHeadersSetup.Section);
        var settings = new Settings();

        foreach (var value in List(section.GetSection("KnownProxies")))
        {
            if (IPAddress.TryParse(value, out var address) && !value.Contains('/', StringComparison.Ordinal))
            {
                settings.Proxies.Add(address);
            }
            else
            {
                problems.Add($"ForwardedHeaders:KnownProxies has \"{value}\", which is not an IP address: expected addresses such as 10.0.0.5,10.0.0.6 (networks go in ForwardedHeaders:KnownNetworks).");
            }
        }
        foreach (var value in List(section.GetSection("KnownNetworks")))
        {
            if (IPNetwork.TryParse(value, out var network))
            {
                settings.Networks.Add(network);
            }
            else
            {
                problems.Add($"ForwardedHeaders:KnownNetworks has \"{value}\", which is not a network in CIDR notation: expected networks such as 10.0.0.0/8,fd00::/8 (no host bits after the prefix).");
            }
        }
        var limit = section["ForwardLimit"];
        if (!string.IsNullOrWhiteSpace(limit))
        {
            if (int.TryParse(limit, NumberStyles.None, CultureInfo.InvariantCulture, out var hops) && hops is >= 1 and <= MaxForwardLimit)
            {
                settings.ForwardLimit = hops;
            }
            else
            {
                problems.Add($"ForwardedHeaders:ForwardLimit must be a whole number from 1 to {MaxForwardLimit}: the number of trusted proxies in front of the site (default 1).");
            }
        }
        foreach (var value in List(section.GetSection("AllowedHosts")))
        {
            if (value.Contains('/', StringComparison.Ordinal) || value.Contains(' ', StringComparison.Ordinal))
            {
                problems.Add($"ForwardedHeaders:AllowedHosts has \"{value}\", which is not a host name: expected names such as example.com,*.example.com (no scheme or path).");
            }
            else
            {
                settings.AllowedHosts.Add(value);
            }
        }
        return settings;
    }

    private static IEnumerable<string> List(IConfigurationSection section)
    {
        var values = new List<string?> { section.Value };
        values.AddRange(section.GetChildren().Select(child => child.Value));
        return values
            .SelectMany(v => (v ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
    }

    private sealed class Settings
    {
        public List<IPAddress> Proxies { get; } = [];
        public List<IPNetwork> Networks { get; } = [];
        public List<string> AllowedHosts { get; } = [];
        public int ForwardLimit { get; set; } = 1;
    }
}
