using System.Net;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.AspNetCore.RateLimiting;

namespace IdentityTwoFactor.Pages;

/// <summary>One page for every error status, in the site's style; never a stack trace.</summary>
[IgnoreAntiforgeryToken]
// A refused POST is re-executed here as a POST (the 429 page itself): it must never be limited again.
[DisableRateLimiting]
[ResponseCache(Duration = 0, Location = ResponseCacheLocation.None, NoStore = true)]
public class ErrorModel : PageModel
{
    public int Status { get; private set; } = 500;
    public string Heading { get; private set; } = "";
    public string Explanation { get; private set; } = "";

    // No bound parameters: when a form body is unreadable (a NUL byte, 10 MB), binding would fail again here.
    public void OnGet() => Describe();

    public void OnPost() => Describe();

    private void Describe()
    {
        var code = HttpContext.Features.Get<Microsoft.AspNetCore.Diagnostics.IStatusCodeReExecuteFeature>()?.OriginalStatusCode
            ?? (int.TryParse(RouteData.Values["code"] as string, out var routed) ? routed : 500);
        Status = code is >= 400 and <= 599 ? code : 500;
        Response.StatusCode = Status;
        (Heading, Explanation) = Status switch
        {
            400 when HttpContext.Items.ContainsKey(Web.HttpsRequirement.NotHttpsItem) => ("This site must be reached over HTTPS",
                "Forms are accepted only over a secure connection. Open the site with an address that starts with https:// and try again."),
            400 => ("The form could not be accepted", "The request was incomplete or its security token had expired. Go back, reload the page and try again."),
            404 => ("Page not found", "There is no page at this address."),
            405 => ("That action is not allowed here", "This address does not accept that kind of request. Use the forms on the site."),
            413 => ("Too much data", "The form sent more data than the site accepts."),
            429 => ("Too many requests", HttpContext.Items[Web.RateLimiting.RetryAfterItem] is TimeSpan wait
                ? $"Too many attempts from your network. Please wait {SmsMessages.Wait(wait)} before trying again."
                : "Too many attempts from your network. Please wait a minute before trying again."),
            _ when Status >= 500 => ("Something went wrong", "The site could not complete the request. Nothing was changed. Please try again in a moment."),
            _ => (((HttpStatusCode)Status).ToString(), "The request could not be completed."),
        };
    }
}
