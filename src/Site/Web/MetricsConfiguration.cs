using Microsoft.Extensions.Options;
using IPNetwork = System.Net.IPNetwork;

namespace IdentityTwoFactor.Web;

/// <summary>Reads and checks the <c>Metrics</c> section. <c>AllowedNetworks</c> is accepted as a .NET array
/// (<c>Metrics__AllowedNetworks__0</c>) and as one comma-separated value (<c>Metrics__AllowedNetworks</c>), as
/// <see cref="ForwardedHeadersConfiguration"/> does.</summary>
internal sealed class MetricsConfiguration(IConfiguration configuration) : IConfigureOptions<MetricsOptions>, IValidateOptions<MetricsOptions>
{
    private static readonly IPNetwork[] Loopback = [IPNetwork.Parse("127.0.0.0/8"), IPNetwork.Parse("::1/128")];

    /// <summary><c>Metrics:Enabled</c>, needed while the services are added; a value that is not true or false stops the
    /// start with one line naming it.</summary>
    public static bool IsEnabled(IConfiguration configuration)
    {
        var value = configuration[MetricsSetup.Section + ":Enabled"];
        if (string.IsNullOrWhiteSpace(value))
        {
            return false;
        }
        return bool.TryParse(value.Trim(), out var enabled)
            ? enabled
            : throw new SiteConfigurationException("Metrics:Enabled must be true or false (default false: no /metrics).");
    }

    public void Configure(MetricsOptions options)
    {
        options.Enabled = IsEnabled(configuration);
        foreach (var network in Read(out _))
        {
            options.AllowedNetworks.Add(network);
        }
    }

    public ValidateOptionsResult Validate(string? name, MetricsOptions options)
    {
        Read(out var problems);
        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }

    private List<IPNetwork> Read(out List<string> problems)
    {
        problems = [];
        var section = configuration.GetSection(MetricsSetup.Section).GetSection("AllowedNetworks");
        var values = new List<string?> { section.Value };
        values.AddRange(section.GetChildren().Select(child => child.Value));
        var networks = new List<IPNetwork>();
        foreach (var value in values.SelectMany(v => (v ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)))
        {
            if (IPNetwork.TryParse(value, out var network))
            {
                networks.Add(network);
            }
            else
            {
                problems.Add($"Metrics:AllowedNetworks has \"{value}\", which is not a network in CIDR notation: expected networks such as 127.0.0.0/8,::1/128,10.0.0.0/8 (no host bits after the prefix).");
            }
        }
        return networks.Count > 0 || problems.Count > 0 ? networks : [.. Loopback];
    }
}
