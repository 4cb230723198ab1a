using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;

namespace IdentityTwoFactor.Identity;

/// <summary>NIST SP 800-63B style: a length range, no composition rules. Section <c>Password</c>.</summary>
public sealed class PasswordPolicyOptions
{
    public const string Section = "Password";

    [Range(8, 64, ErrorMessage = "Password:MinLength must be between 8 and 64.")]
    public int MinLength { get; set; } = 8;

    [Range(64, 1024, ErrorMessage = "Password:MaxLength must be between 64 and 1024.")]
    public int MaxLength { get; set; } = 128;
}

/// <summary>Checks the length range; characters of any kind are allowed (spaces, emoji, other scripts).</summary>
public sealed class PasswordLengthValidator(IOptions<PasswordPolicyOptions> options) : IPasswordValidator<TwoFactorUser>
{
    public Task<IdentityResult> ValidateAsync(UserManager<TwoFactorUser> manager, TwoFactorUser user, string? password)
    {
        var policy = options.Value;
        var length = password is null ? 0 : new System.Globalization.StringInfo(password).LengthInTextElements;
        if (length < policy.MinLength)
        {
            return Task.FromResult(IdentityResult.Failed(new IdentityError
            {
                Code = "PasswordTooShort",
                Description = $"Passwords must be at least {policy.MinLength} characters.",
            }));
        }
        if (length > policy.MaxLength)
        {
            return Task.FromResult(IdentityResult.Failed(new IdentityError
            {
                Code = "PasswordTooLong",
                Description = $"Passwords must be at most {policy.MaxLength} characters.",
            }));
        }
        return Task.FromResult(IdentityResult.Success);
    }
}
