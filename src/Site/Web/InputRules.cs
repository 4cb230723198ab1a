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
