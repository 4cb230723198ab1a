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
catch (Exception e) when (e is OptionsValidationException || (e is AggregateException all && all.InnerExceptions.All(i => i is OptionsValidationException)))
{
    // A bad setting: the operator gets the sentence naming it, not a stack trace.
    var failures = e is AggregateException aggregate ? aggregate.InnerExceptions : [e];
    foreach (var failure in failures)
    {
        Console.Error.WriteLine(failure.Message);
    }
    return 1;
}
return 0;

/// <summary>Visible to WebApplicationFactory in the test projects.</summary>
public partial class Program;
