using IdentityTwoFactor.Sms;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace IdentityTwoFactor.Pages.Dev;

/// <summary>/dev/outbox: the texts the development outbox kept, newest first. Exists only in Development with the outbox.</summary>
public sealed class OutboxModel(IWebHostEnvironment environment, ISmsSender sender) : PageModel
{
    public IReadOnlyList<OutboxMessage> Messages { get; private set; } = [];

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
