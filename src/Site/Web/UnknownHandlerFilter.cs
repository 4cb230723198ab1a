using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Filters;

namespace IdentityTwoFactor.Web;

/// <summary>
/// Razor Pages runs the unnamed handler when a requested <c>?handler=</c> name matches nothing, so
/// <c>POST /login?handler=Nope</c> would count a login failure. Here an unknown handler name is a 404.
/// </summary>
public sealed class UnknownHandlerFilter : IAsyncPageFilter
{
    public Task OnPageHandlerSelectionAsync(PageHandlerSelectedContext context) => Task.CompletedTask;

    public Task OnPageHandlerExecutionAsync(PageHandlerExecutingContext context, PageHandlerExecutionDelegate next)
    {
        var requested = context.RouteData.Values["handler"] as string ?? context.HttpContext.Request.Query["handler"].FirstOrDefault();
        if (!string.IsNullOrEmpty(requested)
            && !string.Equals(requested, context.HandlerMethod?.Name, StringComparison.OrdinalIgnoreCase))
        {
            context.Result = new NotFoundResult();
            return Task.CompletedTask;
        }
        return next();
    }
}
