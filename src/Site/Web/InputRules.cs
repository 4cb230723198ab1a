using System.ComponentModel.DataAnnotations;
using System.Globalization;

namespace IdentityTwoFactor.Web;

/// <summary>
/// An email address as the site accepts it: the usual shape, at most 254 characters, and no control or invisible
/// formatting characters (a right-to-left override in an email would make two accounts look alike).
/// </summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class EmailFieldAttribute : ValidationAttribute
{
    private static readonly EmailAddressAttribute Shape = new();

    public EmailFieldAttribute() : base("Enter a valid email address.")
    {
    }

    public override bool IsValid(object? value) =>
        value is not string text || (text.Length <= 254 && Shape.IsValid(text) && !InputText.HasHiddenCharacters(text) && !text.Any(char.IsWhiteSpace));
}

/// <summary>
/// A texted code as the forms accept it: present, and exactly six ASCII digits. Checked before any code is spent, so a
/// typo is a validation message, not a wrong guess that burns the code. Handlers that take no code (resend) remove
/// the field from ModelState.
/// </summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class VerificationCodeAttribute : ValidationAttribute
{
    public const string Missing = "Enter the 6-digit verification code.";
    public const string Malformed = "The verification code is 6 digits.";

    protected override ValidationResult? IsValid(object? value, ValidationContext validationContext)
    {
        var code = value as string;
        if (string.IsNullOrEmpty(code))
        {
            return new ValidationResult(Missing, MemberNames(validationContext));
        }
        return Identity.CodeHasher.IsWellFormed(code) ? ValidationResult.Success : new ValidationResult(Malformed, MemberNames(validationContext));
    }

    private static string[]? MemberNames(ValidationContext context) => context.MemberName is { } name ? [name] : null;
}

/// <summary>A name or other free text: no control characters and no bidirectional overrides; emoji and all scripts welcome.</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class PlainTextAttribute : ValidationAttribute
{
    public override bool IsValid(object? value) => value is not string text || !InputText.HasHiddenCharacters(text);
}

public static class InputText
{
    /// <summary>Control characters (C0, C1, DEL) and the bidirectional embedding, override and isolate controls.</summary>
    public static bool HasHiddenCharacters(string text) => text.Any(c =>
        char.GetUnicodeCategory(c) == UnicodeCategory.Control
        || c is >= '\u202A' and <= '\u202E'
        || c is >= '\u2066' and <= '\u2069'
        || c is '\u200E' or '\u200F' or '\u061C' or '\uFEFF');
}
