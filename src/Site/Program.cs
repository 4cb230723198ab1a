using IdentityTwoFactor;

var builder = WebApplication.CreateBuilder(args);
builder.AddSite();

var app = builder.Build();
app.UseSite();
app.Run();

/// <summary>Visible to WebApplicationFactory in the test projects.</summary>
public partial class Program;
