using IdentityTwoFactor.Identity;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace IdentityTwoFactor.Pages;

public class IndexModel(TwoFactorUserManager users) : PageModel
{
    public string? FirstName { get; private set; }

    public async Task OnGetAsync()
    {
        if (User.Identity?.IsAuthenticated == true)
        {
            FirstName = (await users.GetUserAsync(User))?.FirstName;
        }
    }
}
