using System.Globalization;
using System.Security.Cryptography;

namespace IdentityTwoFactor.Tests.E2E.Pages;

/// <summary>A person signing up. <see cref="Phone"/> is what they type; <see cref="E164"/> is what the site stores and texts.</summary>
public sealed record TestUser(string Email, string Password, string Phone, string E164, string FirstName, string LastName)
{
    // 650-253-xxxx: a real Mountain View exchange, so libphonenumber accepts it as a US FIXED_LINE_OR_MOBILE number
    // (555 numbers are not all valid for it). A process-wide counter keeps every user's number unique, so "the texts
    // to this phone" never mixes two users.
    private static int s_nextLine = RandomNumberGenerator.GetInt32(0, 9000);

    /// <summary>A fresh user with a Guid-based email and a phone number no other user of this run has.</summary>
    public static TestUser CreateUnique(string firstName = "Ada", string lastName = "Lovelace")
    {
        var line = (Interlocked.Increment(ref s_nextLine) % 10_000).ToString("0000", CultureInfo.InvariantCulture);
        return new TestUser(
            Email: $"ada-{Guid.NewGuid():N}@example.com",
            Password: "correct horse battery staple",
            Phone: $"(650) 253-{line}",
            E164: $"+1650253{line}",
            FirstName: firstName,
            LastName: lastName);
    }

    /// <summary>The recovery codes shown when the phone was confirmed (XXXXX-XXXXX), once the story saved them.</summary>
    public IReadOnlyList<string> RecoveryCodes { get; init; } = [];

    /// <summary>How the site shows the number: an X per digit except the last four (<c>XXXXXXX0000</c>).</summary>
    public string MaskedPhone => new string('X', E164.Length - 1 - 4) + E164[^4..];
}
