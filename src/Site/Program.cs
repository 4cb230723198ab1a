using IdentityTwoFactor;
using IdentityTwoFactor.Data;
using IdentityTwoFactor.Identity;

try
{
    var builder = WebApplication.CreateBuilder(args);
    builder.AddSite();

    var app = builder.Build();
    if (args.Contains("--migrate-only"))
    {
        // A deployment migrates once, then starts N instances with Database__MigrateAtStart=false.
        app.MigrateSiteDatabase(force: true);
        return 0;
    }
    if (SupportRoleCommand.IsRequested(args))
    {
        // --grant-support EMAIL / --revoke-support EMAIL: the database as the site would find it, the change, one line.
        app.MigrateSiteDatabase();
        return await SupportRoleCommand.RunAsync(app.Services, args, Console.Out);
    }
    app.ValidateSettingsAtStart();
    app.UseSite();
    app.Run();
    // Zero unless the site stopped itself (the database never answered at start, or a setting proved wrong then).
    return Environment.ExitCode;
}
catch (Exception e) when (System.Reflection.Assembly.GetEntryAssembly() == typeof(Program).Assembly && StartupErrors.Describe(e) is { Count: > 0 } problems)
{
    // A setting is wrong: one line per problem, no stack trace, a non-zero exit. Only when the site is the process;
    // hosted in another one (WebApplicationFactory in a test) the host's caller gets the exception.
    return StartupErrors.Report(problems);
}

/// <summary>Visible to WebApplicationFactory in the test projects.</summary>
public partial class Program;
