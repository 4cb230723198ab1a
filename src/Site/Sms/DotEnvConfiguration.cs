using Microsoft.Extensions.Configuration.EnvironmentVariables;
using Microsoft.Extensions.Configuration.Memory;

namespace IdentityTwoFactor.Sms;

/// <summary>Reads a developer's <c>.env</c> file into configuration, below real environment variables.</summary>
public static class DotEnvConfiguration
{
    /// <summary>Set <c>DotEnv:Disabled=true</c> (for example <c>DotEnv__Disabled=true</c>) so a host never reads <c>.env</c>; test hosts do.</summary>
    public const string DisabledKey = "DotEnv:Disabled";

    public const string FileName = ".env";

    /// <summary>Loads <c>.env</c> from the content root or, when there is none, from the repository root (the nearest
    /// folder above that holds <c>.git</c>); no other folder is read, so a stray <c>.env</c> in some parent folder of a
    /// deployed site cannot inject settings. Keys use the environment-variable form (<c>TwoFactor__CodeLifetime</c>).
    /// Its values rank above appsettings*.json and below environment variables and the command line. No file: no-op.</summary>
    public static IHostApplicationBuilder AddDotEnv(this IHostApplicationBuilder builder)
    {
        if (builder.Configuration.GetValue<bool>(DisabledKey))
        {
            return builder;
        }

        var path = FindFile(builder.Environment.ContentRootPath);
        if (path is null)
        {
            return builder;
        }

        var values = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (var (key, value) in DotNetEnv.Env.NoEnvVars().Load(path))
        {
            values[key.Replace("__", ConfigurationPath.KeyDelimiter, StringComparison.Ordinal)] = value;
        }

        var source = new MemoryConfigurationSource { InitialData = values };
        var sources = builder.Configuration.Sources;
        var environmentVariables = -1;
        for (var i = 0; i < sources.Count; i++)
        {
            if (sources[i] is EnvironmentVariablesConfigurationSource { Prefix: null or "" })
            {
                environmentVariables = i;
                break;
            }
        }

        if (environmentVariables >= 0)
        {
            sources.Insert(environmentVariables, source);
        }
        else
        {
            // A host without an environment-variables source (DisableDefaults): keep every existing source on top.
            sources.Insert(0, source);
        }

        return builder;
    }

    internal static string? FindFile(string contentRoot)
    {
        var inContentRoot = Path.Combine(contentRoot, FileName);
        if (File.Exists(inContentRoot))
        {
            return inContentRoot;
        }
        for (var directory = new DirectoryInfo(contentRoot).Parent; directory is not null; directory = directory.Parent)
        {
            // .git is a folder in a clone and a file in a worktree.
            if (Directory.Exists(Path.Combine(directory.FullName, ".git")) || File.Exists(Path.Combine(directory.FullName, ".git")))
            {
                var inRepositoryRoot = Path.Combine(directory.FullName, FileName);
                return File.Exists(inRepositoryRoot) ? inRepositoryRoot : null;
            }
        }
        return null;
    }
}
