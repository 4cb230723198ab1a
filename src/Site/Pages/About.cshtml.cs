using IdentityTwoFactor.Identity;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.Options;

namespace IdentityTwoFactor.Pages;

public class AboutModel(IOptions<TwoFactorOptions> options) : PageModel
{
    public TwoFactorOptions Settings => options.Value;

    public void OnGet()
    {
    }
}
