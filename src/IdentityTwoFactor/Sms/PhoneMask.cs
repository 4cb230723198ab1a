namespace IdentityTwoFactor.Sms;

/// <summary>Masks a phone number for logs and pages: one X per digit except the last four.</summary>
public static class PhoneMask
{
    /// <summary><c>+16505551234</c> becomes <c>XXXXXXX1234</c>. Numbers of four digits or fewer are fully masked.</summary>
    /// <param name="e164">A phone number; any characters other than ASCII digits are dropped.</param>
    /// <returns>The masked number, or an empty string for null or empty.</returns>
    public static string Mask(string? e164)
    {
        if (string.IsNullOrEmpty(e164))
        {
            return string.Empty;
        }

        var digits = e164.Where(char.IsAsciiDigit).ToArray();
        if (digits.Length <= 4)
        {
            return new string('X', digits.Length);
        }

        return string.Concat(new string('X', digits.Length - 4), new string(digits, digits.Length - 4, 4));
    }
}
