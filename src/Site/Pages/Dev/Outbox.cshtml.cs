using IdentityTwoFactor.Identity;
using IdentityTwoFactor.Sms;
using IdentityTwoFactor.Web;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.Options;

namespace IdentityTwoFactor.Pages.Dev;

/// <summary>/dev/outbox: the texts the development outbox kept, newest first, and the limits that decide which texts
/// go. Exists only in Development with the outbox.</summary>
public sealed class OutboxModel(IWebHostEnvironment environment, ISmsSender sender, IOptions<TwoFactorOptions> twoFactor,
    IOptions<PhoneOptions> phone, IOptions<RateLimitOptions> rateLimits) : PageModel
{
    public IReadOnlyList<OutboxMessage> Messages { get; private set; } = [];

    public TwoFactorOptions TwoFactor => twoFactor.Value;

    public RateLimitOptions RateLimits => rateLimits.Value;

    /// <summary>"US", "US, CA", or "every country".</summary>
    public string AllowedRegions => phone.Value.AllowedRegionList() is { } regions ? string.Join(", ", regions) : "every country";

    public IActionResult OnGet()
    {
        if (!environment.IsDevelopment() || sender is not DevelopmentOutbox outbox)
        {
            return NotFound();
        }

        Messages = outbox.Messages;
        return Page();
    }
}
