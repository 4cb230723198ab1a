using IdentityTwoFactor;
using IdentityTwoFactor.Data;

var builder = WebApplication.CreateBuilder(args);
builder.AddSite();

var app = builder.Build();
if (args.Contains("--migrate-only"))
{
    // A deployment migrates once, then starts N instances with Database__MigrateAtStart=false.
    app.MigrateSiteDatabase(force: true);
    return;
}
app.UseSite();
app.Run();

/// <summary>Visible to WebApplicationFactory in the test projects.</summary>
public partial class Program;
