using Microsoft.AspNetCore.Mvc.ViewFeatures;

namespace IdentityTwoFactor.Pages;

/// <summary>Messages that survive the redirect of Post/Redirect/Get (TempData, cookie-backed).</summary>
public static class Flash
{
    public const string InfoKey = "Flash.Info";
    public const string ErrorKey = "Flash.Error";
    public const string EmailKey = "Flash.Email";

    public static void Info(this ITempDataDictionary tempData, string message) => tempData[InfoKey] = message;

    public static void Error(this ITempDataDictionary tempData, string message) => tempData[ErrorKey] = message;

    /// <summary>The email to prefill on the next page (never shown in a URL).</summary>
    public static void RememberEmail(this ITempDataDictionary tempData, string? email) => tempData[EmailKey] = email;

    /// <summary>The email remembered for this page, if the browser brought the TempData cookie.</summary>
    public static string? RememberedEmail(this Microsoft.AspNetCore.Mvc.RazorPages.PageModel page) =>
        page.HttpContext.MayHaveMessages() ? page.TempData.Peek(EmailKey) as string : null;

    /// <summary>The TempData cookie's name. Without that cookie there is nothing to read, and not touching TempData
    /// spares every plain page view loading it and answering with a cookie deletion.</summary>
    public const string CookieName = "itf.msg";

    public static bool MayHaveMessages(this Microsoft.AspNetCore.Http.HttpContext context) =>
        context.Request.Cookies.ContainsKey(CookieName);
}
