using IdentityTwoFactor.Data;
using IdentityTwoFactor.Data.KeyRing;
using IdentityTwoFactor.Data.Outage;
using IdentityTwoFactor.Identity;
using IdentityTwoFactor.Sms;
using IdentityTwoFactor.Web;
using Microsoft.AspNetCore.Mvc;

namespace IdentityTwoFactor;

/// <summary>Everything Program.cs needs, one call per concern.</summary>
public static class SiteSetup
{
    /// <summary>The antiforgery cookie's name; with the network it also tells apart the clients entering codes.</summary>
    public const string AntiforgeryCookie = "itf.af";

    public static IHostApplicationBuilder AddSite(this IHostApplicationBuilder builder)
    {
        builder.AddDotEnv();
        // The host logs a failed start with its stack trace ("Hosting failed to start") before Program.cs sees the
        // exception: a settings problem (an address in use) is reported there in one line, and anything else still
        // crashes with its trace (StartupErrors).
        builder.Logging.AddFilter("Microsoft.Extensions.Hosting.Internal.Host", LogLevel.Critical);
        // Data Protection logs a failed key ring read with its stack trace before rethrowing it; the request that needed
        // the ring then gets the outage page (and its one log line), or, for anything but an outage, the 500 page with
        // the trace logged by the exception handler.
        builder.Logging.AddFilter("Microsoft.AspNetCore.DataProtection.KeyManagement.KeyRingProvider", LogLevel.Critical);
        builder.Services.AddSingleton(TimeProvider.System);
        builder.AddSiteDatabase();
        builder.AddSiteIdentity();
        builder.AddSmsSender();
        builder.AddSitePages();
        builder.AddSiteMetrics();
        builder.Services.RemoveDataProtectionWarmUp();
        return builder;
    }

    public static WebApplication UseSite(this WebApplication app)
    {
        app.UseEncryptedKeyRing();
        app.PrepareSiteDatabase();
        app.UseSiteForwardedHeaders();
        app.UseSecurityHeaders();
        app.UseSiteMetrics();
        if (!app.Environment.IsDevelopment())
        {
            app.UseHsts();
        }
        app.UseExceptionHandler("/error/500");
        app.UseStatusCodePagesWithReExecute("/error/{0}");
        if (!app.Environment.IsDevelopment())
        {
            app.UseHttpsForForms();
        }
        app.UseOnlyFormMethods();
        app.UseStaticFiles();
        app.UseRouting();
        // After routing: the first request builds the endpoint table while the database part of the start finishes
        // (~60 ms of a start); before authentication, which reads the session from the database.
        app.UseDatabaseOutagePages();
        app.UseHashingGateShortcut();
        // Made now, not at the first sign-in: it sets the thread pool's minimum the flood needs.
        _ = app.Services.GetRequiredService<IdentityTwoFactor.Identity.HashingGate>();
        app.UseRequestTimeouts();
        app.UseRateLimiter();
        app.UseAuthentication();
        app.UseAuthorization();
        app.MapHealthEndpoints();
        app.MapRazorPages();
        return app;
    }

    private static IHostApplicationBuilder AddSitePages(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<PhoneOptions>().BindConfiguration(PhoneOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<PhoneNumberNormalizer>();
        services.AddRazorPages()
            .AddMvcOptions(o => o.Filters.Add<UnknownHandlerFilter>())
            // No client validation scripts exist here: drop the data-val-* attributes they would read.
            .AddViewOptions(o => o.HtmlHelperOptions.ClientValidationEnabled = false);
        services.AddAntiforgery(o =>
        {
            // Outside Development: Secure, without the 500 antiforgery throws on a plain-HTTP request (see the builder).
            o.Cookie = builder.Environment.IsDevelopment()
                ? new CookieBuilder { SecurePolicy = CookieSecurePolicy.SameAsRequest }
                : new AlwaysSecureCookieBuilder();
            o.Cookie.Name = AntiforgeryCookie;
            o.Cookie.HttpOnly = true;
            o.Cookie.IsEssential = true;
            o.Cookie.SameSite = SameSiteMode.Strict;
        });
        services.Configure<CookieTempDataProviderOptions>(o =>
        {
            o.Cookie.Name = IdentityTwoFactor.Pages.Flash.CookieName;
            o.Cookie.HttpOnly = true;
            o.Cookie.SameSite = SameSiteMode.Lax;
            o.Cookie.SecurePolicy = IdentityTwoFactor.Web.SecurityHeaders.CookieSecurity(builder.Environment);
        });
        services.AddHsts(o =>
        {
            o.MaxAge = TimeSpan.FromDays(365);
            o.ExcludedHosts.Clear(); // Development never sends HSTS; anywhere else, every host gets it.
        });
        services.AddSiteRateLimits();
        services.AddSupportConsole();
        // The last bound on a request: one that runs this long is answered 503 (the outage page) and its work cancelled.
        // Database waits are bounded well below it (Database:OpenTimeout, Database:CommandTimeout); a text send by
        // RingCentral:SendTimeout.
        var requestTimeout = builder.Configuration.GetValue("RequestTimeout", TimeSpan.FromSeconds(30));
        if (requestTimeout < TimeSpan.FromSeconds(1))
        {
            throw new SiteConfigurationException("RequestTimeout must be at least 00:00:01 (hh:mm:ss); the default is 00:00:30.");
        }
        services.AddRequestTimeouts(o => o.DefaultPolicy = new Microsoft.AspNetCore.Http.Timeouts.RequestTimeoutPolicy
        {
            Timeout = requestTimeout,
            TimeoutStatusCode = StatusCodes.Status503ServiceUnavailable,
            WriteTimeoutResponse = DatabaseOutagePage.WriteAsync,
        });
        services.AddSiteForwardedHeaders();
        services.AddSiteHttpsRedirection();
        services.AddRelativeAuthenticationRedirects();
        return builder;
    }
}
