using IdentityTwoFactor.Identity;
using Microsoft.AspNetCore.Authorization;

namespace IdentityTwoFactor.Web;

/// <summary>The signed-in user holds the Support role now (<see cref="SupportAccess"/>).</summary>
public sealed class SupportAgentRequirement : IAuthorizationRequirement;

/// <summary>Reads the role from the database through the user manager on every request.</summary>
internal sealed class SupportAgentHandler(TwoFactorUserManager users) : AuthorizationHandler<SupportAgentRequirement>
{
    protected override async Task HandleRequirementAsync(AuthorizationHandlerContext context, SupportAgentRequirement requirement)
    {
        if (await users.GetUserAsync(context.User) is { } user && await users.IsSupportAgentAsync(user))
        {
            context.Succeed(requirement);
        }
    }
}
