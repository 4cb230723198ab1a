using System.Security.Claims;
using System.Xml.Linq;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;

namespace IdentityTwoFactor.Tests.Unit.Support;

/// <summary>
/// The attacker's tools: a Data Protection provider built from key ring XML alone, and an Identity auth cookie minted
/// with it the way Identity's cookie handler protects its tickets.
/// </summary>
public static class CookieForger
{
    /// <summary>The purposes CookieAuthenticationHandler protects tickets with (its PostConfigure), for Identity's scheme.</summary>
    public static readonly string[] CookiePurposes =
        ["Microsoft.AspNetCore.Authentication.Cookies.CookieAuthenticationMiddleware", IdentityConstants.ApplicationScheme, "v2"];

    /// <summary>A provider that knows only <paramref name="keyRing"/>: it never makes a key of its own, so it can protect
    /// only with a key it can read from those elements.</summary>
    /// <param name="configure">What else the attacker has (for example the key-encryption key).</param>
    public static IDataProtectionProvider ProviderFrom(IEnumerable<XElement> keyRing, Action<IDataProtectionBuilder>? configure = null)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        var builder = services.AddDataProtection().SetApplicationName("IdentityTwoFactor");
        configure?.Invoke(builder);
        services.Configure<KeyManagementOptions>(o =>
        {
            o.XmlRepository = new InMemoryXmlRepository(keyRing);
            o.AutoGenerateKeys = false;
        });
        return services.BuildServiceProvider().GetRequiredService<IDataProtectionProvider>();
    }

    /// <summary>The value of an <c>itf.auth</c> cookie that names a server-side session by its key, as the cookie handler
    /// writes it when a session store is in use.</summary>
    public static string MintSessionCookie(IDataProtectionProvider provider, string sessionKey)
    {
        var identity = new ClaimsIdentity([new Claim("Microsoft.AspNetCore.Authentication.Cookies-SessionId", sessionKey)], IdentityConstants.ApplicationScheme);
        var ticket = new AuthenticationTicket(new ClaimsPrincipal(identity), null, IdentityConstants.ApplicationScheme);
        return new TicketDataFormat(provider.CreateProtector(CookiePurposes[0], CookiePurposes[1..])).Protect(ticket);
    }

    /// <summary>A full sign-in ticket for <paramref name="user"/>, as the session store keeps it.</summary>
    public static AuthenticationTicket Ticket(DatabaseCopy.UserRow user, DateTimeOffset now)
    {
        var identity = new ClaimsIdentity(IdentityConstants.ApplicationScheme, ClaimTypes.Name, ClaimTypes.Role);
        identity.AddClaim(new Claim(ClaimTypes.NameIdentifier, user.Id));
        identity.AddClaim(new Claim(ClaimTypes.Name, user.UserName));
        identity.AddClaim(new Claim(ClaimTypes.Email, user.Email));
        identity.AddClaim(new Claim(new ClaimsIdentityOptions().SecurityStampClaimType, user.SecurityStamp));
        identity.AddClaim(new Claim("amr", "pwd"));
        var properties = new AuthenticationProperties { IssuedUtc = now, ExpiresUtc = now.AddHours(1) };
        return new AuthenticationTicket(new ClaimsPrincipal(identity), properties, IdentityConstants.ApplicationScheme);
    }

    /// <summary>The value of an <c>itf.auth</c> cookie for <paramref name="user"/>, with the claims Identity's
    /// UserClaimsPrincipalFactory and a password sign-in put in the ticket.</summary>
    public static string MintAuthCookie(IDataProtectionProvider provider, DatabaseCopy.UserRow user, DateTimeOffset now) =>
        new TicketDataFormat(provider.CreateProtector(CookiePurposes[0], CookiePurposes[1..])).Protect(Ticket(user, now));
}
