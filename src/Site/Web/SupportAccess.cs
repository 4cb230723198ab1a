using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;

namespace IdentityTwoFactor.Web;

/// <summary>
/// Who reaches the support console: the policy <see cref="Policy"/> (on every page under /support) asks the database on every
/// request whether the signed-in user holds the Support role, so a revoked agent is out at the next request; no role claim
/// is kept in the cookie or the session. Everyone else gets the ordinary 404 page, signed in or not: the console is not
/// advertised.
/// </summary>
public static class SupportAccess
{
    public const string Policy = "support-agent";

    public static IServiceCollection AddSupportConsole(this IServiceCollection services)
    {
        services.AddAuthorizationBuilder()
            .AddPolicy(Policy, p => p.RequireAuthenticatedUser().AddRequirements(new SupportAgentRequirement()));
        services.AddScoped<IAuthorizationHandler, SupportAgentHandler>();
        services.AddSingleton<IAuthorizationMiddlewareResultHandler, HiddenConsoleResultHandler>();
        return services;
    }
}
