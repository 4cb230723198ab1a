using System.Reflection;
using IdentityTwoFactor;
using IdentityTwoFactor.Data;
using Microsoft.Extensions.Options;

var builder = WebApplication.CreateBuilder(args);
builder.AddSite();

var app = builder.Build();
if (args.Contains("--migrate-only"))
{
    // A deployment migrates once, then starts N instances with Database__MigrateAtStart=false.
    app.MigrateSiteDatabase(force: true);
    return 0;
}
try
{
    app.UseSite();
    app.Run();
}
catch (Exception e) when (IsBadSetting(e) && Assembly.GetEntryAssembly() == typeof(Program).Assembly)
{
    // A bad setting: the operator gets the sentence naming it, not a stack trace. Only when the site is the process;
    // hosted in another one (WebApplicationFactory in a test) the host's caller gets the exception.
    var failures = e is AggregateException aggregate ? aggregate.InnerExceptions : [e];
    foreach (var failure in failures)
    {
        Console.Error.WriteLine(failure.Message);
    }
    return 1;
}
return 0;

static bool IsBadSetting(Exception e) =>
    e is OptionsValidationException || (e is AggregateException all && all.InnerExceptions.All(i => i is OptionsValidationException));

/// <summary>Visible to WebApplicationFactory in the test projects.</summary>
public partial class Program;
