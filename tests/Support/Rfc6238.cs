using System.Security.Cryptography;

namespace IdentityTwoFactor.Tests.Support;

/// <summary>
/// What an authenticator app does, written out for the tests apart from the site's own code (so a bug there cannot hide
/// itself here): RFC 6238 TOTP over RFC 4226 HOTP with HMAC-SHA1, and RFC 4648 Base32 decoding of the key the page shows.
/// Checked against RFC 6238's published test vectors (Appendix B).
/// </summary>
public static class Rfc6238
{
    public static string Code(byte[] key, DateTimeOffset at, int digits = 6, int periodSeconds = 30) =>
        Hotp(key, at.ToUnixTimeSeconds() / periodSeconds, digits);

    public static string Hotp(byte[] key, long counter, int digits)
    {
        var message = new byte[8];
        for (var i = 7; i >= 0; i--)
        {
            message[i] = (byte)(counter & 0xFF);
            counter >>= 8;
        }
#pragma warning disable CA5350 // RFC 6238's default and what every app computes; HMAC-SHA1 is not weak as a MAC.
        var hash = HMACSHA1.HashData(key, message);
#pragma warning restore CA5350
        var offset = hash[^1] & 0x0F;
        var binary = ((hash[offset] & 0x7F) << 24) | (hash[offset + 1] << 16) | (hash[offset + 2] << 8) | hash[offset + 3];
        var modulo = 1;
        for (var i = 0; i < digits; i++)
        {
            modulo *= 10;
        }
        return (binary % modulo).ToString(System.Globalization.CultureInfo.InvariantCulture).PadLeft(digits, '0');
    }

    /// <summary>Base32 (RFC 4648) as people type it: any case, spaces and padding ignored.</summary>
    public static byte[] FromBase32(string text)
    {
        const string Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
        var bytes = new List<byte>();
        int buffer = 0, bits = 0;
        foreach (var c in text.ToUpperInvariant())
        {
            if (c is ' ' or '=' or '-')
            {
                continue;
            }
            var value = Alphabet.IndexOf(c, StringComparison.Ordinal);
            if (value < 0)
            {
                throw new FormatException($"'{c}' is not a Base32 character.");
            }
            buffer = (buffer << 5) | value;
            bits += 5;
            if (bits >= 8)
            {
                bytes.Add((byte)(buffer >> (bits - 8)));
                bits -= 8;
            }
        }
        return [.. bytes];
    }
}
