using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using IdentityTwoFactor.Web;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.AspNetCore.Mvc.ViewFeatures;
using Microsoft.AspNetCore.RateLimiting;

namespace IdentityTwoFactor.Pages;

/// <summary>
/// "Save your recovery codes": shows a set just made (after the phone is confirmed, or from the account page) once. The
/// plain codes travel from the POST that made them to this GET in TempData (a cookie encrypted by Data Protection) and
/// are removed from it by this very GET; they are never stored in clear. The "Download as text" button posts back a
/// copy sealed by Data Protection for 15 minutes, so the server makes the file from what it issued (nobody can make it
/// serve a text of their choosing), and no server-side copy outlives the request.
/// </summary>
[EnableRateLimiting(RateLimiting.FormPolicy)]
public class RecoveryCodesModel(IDataProtectionProvider protection) : PageModel
{
    private const string TempDataKey = "RecoveryCodes.New";
    private const string Purpose = "IdentityTwoFactor.RecoveryCodes.Download";
    private static readonly TimeSpan DownloadLifetime = TimeSpan.FromMinutes(15);

    public IReadOnlyList<string>? Codes { get; private set; }
    public string? Email { get; private set; }
    public string MadeUtc { get; private set; } = "";
    /// <summary>The set sealed for "Download as text": rendered by the GET, posted back by the button. A bound property,
    /// not a handler argument, so that MVC's Trace log of handler arguments never holds it.</summary>
    [BindProperty(Name = "sealed")]
    public string? Sealed { get; set; }

    public string ContinueUrl => User.Identity?.IsAuthenticated == true ? "/account" : "/login";
    public string ContinueText => User.Identity?.IsAuthenticated == true ? "Go to your account" : "Log in";

    /// <summary>Hands a set just made to the next GET of this page (the caller redirects here).</summary>
    public static void Show(ITempDataDictionary tempData, string? email, IReadOnlyList<string> codes, DateTimeOffset madeUtc) =>
        tempData[TempDataKey] = string.Join('\n', [madeUtc.UtcDateTime.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture), email ?? "", .. codes]);

    public void OnGet()
    {
        NoStore();
        // Read once: TempData drops the codes from the cookie with this response.
        if (TempData[TempDataKey] is not string held)
        {
            return;
        }
        var parts = held.Split('\n');
        MadeUtc = parts[0];
        Email = parts[1].Length == 0 ? null : parts[1];
        Codes = parts[2..];
        Sealed = protection.CreateProtector(Purpose).ToTimeLimitedDataProtector().Protect(held, DownloadLifetime);
    }

    /// <summary>The set just shown, as a <c>text/plain</c> attachment.</summary>
    public IActionResult OnPostDownload()
    {
        NoStore();
        string held;
        try
        {
            held = protection.CreateProtector(Purpose).ToTimeLimitedDataProtector().Unprotect(Sealed ?? "");
        }
        catch (CryptographicException)
        {
            TempData.Error("That download is no longer available. If you did not save your recovery codes, get a new set from your account page.");
            return RedirectToPage();
        }
        var parts = held.Split('\n');
        var text = new StringBuilder()
            .Append("Recovery codes").Append(parts[1].Length == 0 ? "" : " for " + parts[1]).Append(", made ").Append(parts[0]).Append(" UTC\r\n")
            .Append("Each code works once. Keep them somewhere safe, away from your phone.\r\n\r\n");
        foreach (var code in parts[2..])
        {
            text.Append(code).Append("\r\n");
        }
        return File(Encoding.UTF8.GetBytes(text.ToString()), "text/plain; charset=utf-8", "recovery-codes.txt");
    }

    private void NoStore() =>
        // Neither the page nor the file may be kept by the browser's cache or a proxy (the back button must not show them).
        // Set as the response starts, after the form's antiforgery token has set the same values (setting them earlier
        // makes antiforgery log a warning that it overrode them).
        Response.OnStarting(() =>
        {
            Response.Headers.CacheControl = "no-cache, no-store";
            Response.Headers.Pragma = "no-cache";
            return Task.CompletedTask;
        });
}
