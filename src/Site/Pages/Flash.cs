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

    public static string? PeekEmail(this ITempDataDictionary tempData) => tempData.Peek(EmailKey) as string;
}
