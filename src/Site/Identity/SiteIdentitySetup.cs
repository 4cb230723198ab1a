using IdentityTwoFactor.Data;
using IdentityTwoFactor.Identity.Sessions;
using Microsoft.AspNetCore.Identity;

namespace IdentityTwoFactor.Identity;

public static class SiteIdentitySetup
{
    /// <summary>The log category of Identity's <c>UserManager&lt;TUser&gt;</c> (generic arguments are not part of it).</summary>
    public const string IdentityUserManagerCategory = "Microsoft.AspNetCore.Identity.UserManager";

    /// <summary>Identity for the site: cookies, NIST-style passwords (length only), and the SMS two-factor pieces.</summary>
    public static IHostApplicationBuilder AddSiteIdentity(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddAuthentication(IdentityConstants.ApplicationScheme).AddIdentityCookies();
        services.AddOptions<PasswordPolicyOptions>()
            .BindConfiguration(PasswordPolicyOptions.Section)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddIdentityCore<TwoFactorUser>(options =>
            {
                // The schema the site's migrations and compiled models are made for (see SiteDbContext.IdentitySchema).
                options.Stores.SchemaVersion = SiteDbContext.IdentitySchema;
                options.User.RequireUniqueEmail = true;
                options.User.AllowedUserNameCharacters = "";
                options.Password.RequireDigit = false;
                options.Password.RequireLowercase = false;
                options.Password.RequireUppercase = false;
                options.Password.RequireNonAlphanumeric = false;
                options.Password.RequiredUniqueChars = 1;
                // PasswordLengthValidator enforces the configured range.
                options.Password.RequiredLength = 1;
            })
            .AddSignInManager()
            .AddPasswordValidator<PasswordLengthValidator>()
            .AddSmsTwoFactor<SiteDbContext>()
            .AddServerSideSessions<SiteDbContext>();
        services.ConfigureApplicationCookie(options =>
        {
            options.LoginPath = "/login";
            options.LogoutPath = "/logout";
            options.AccessDeniedPath = "/login";
            options.Cookie.Name = "itf.auth";
            options.Cookie.HttpOnly = true;
            options.Cookie.SecurePolicy = IdentityTwoFactor.Web.SecurityHeaders.CookieSecurity(builder.Environment);
            options.Cookie.SameSite = SameSiteMode.Lax;
            options.SlidingExpiration = true;
            options.ExpireTimeSpan = TimeSpan.FromHours(8);
        });
        services.Configure<Microsoft.AspNetCore.Authentication.Cookies.CookieAuthenticationOptions>(IdentityConstants.TwoFactorRememberMeScheme, options =>
        {
            options.Cookie.Name = "itf.remember";
            options.ExpireTimeSpan = TimeSpan.FromDays(30);
            options.Cookie.HttpOnly = true;
            options.Cookie.SameSite = SameSiteMode.Lax;
            options.Cookie.SecurePolicy = IdentityTwoFactor.Web.SecurityHeaders.CookieSecurity(builder.Environment);
        });
        services.Configure<Microsoft.AspNetCore.Authentication.Cookies.CookieAuthenticationOptions>(IdentityConstants.TwoFactorUserIdScheme, options =>
        {
            options.Cookie.Name = "itf.2fa";
            options.Cookie.HttpOnly = true;
            options.Cookie.SecurePolicy = IdentityTwoFactor.Web.SecurityHeaders.CookieSecurity(builder.Environment);
        });
        // Sessions live in the database (AddServerSideSessions): signing out, a password change or reset, and "sign out"
        // on the account page delete them at once. The security stamp is still checked on every request, so any other
        // stamp change (a new phone number, the second factor turned off) ends other sessions at their next request.
        services.Configure<SecurityStampValidatorOptions>(o => o.ValidationInterval = TimeSpan.Zero);
        services.AddHostedService<ExpiredRowsPruner>();
        // Identity's UserManager logs a failed token check at Debug with its purpose, and a phone change's purpose is
        // "ChangePhoneNumber:" plus the full new number. Our provider logs the same failures by kind only.
        builder.Logging.AddFilter(IdentityUserManagerCategory, LogLevel.Information);
        return builder;
    }
}
