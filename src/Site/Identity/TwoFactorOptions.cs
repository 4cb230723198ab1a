using System.ComponentModel.DataAnnotations;

namespace IdentityTwoFactor.Identity;

/// <summary>Settings of the <c>TwoFactor</c> configuration section.</summary>
public sealed class TwoFactorOptions
{
    public const string Section = "TwoFactor";

    /// <summary>How long a texted code stays valid. The tutorial says one hour; NIST 800-63B and ASVS ask for 10 minutes.</summary>
    [Range(typeof(TimeSpan), "00:01:00", "1.00:00:00", ErrorMessage = "TwoFactor:CodeLifetime must be between 00:01:00 and 1.00:00:00.")]
    public TimeSpan CodeLifetime { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Consecutive failed passwords that lock the account.</summary>
    [Range(1, 100, ErrorMessage = "TwoFactor:MaxFailedAccessAttempts must be between 1 and 100.")]
    public int MaxFailedAccessAttempts { get; set; } = 3;

    /// <summary>
    /// How long a lock lasts on its own. Empty (the default) means until unlocked with a texted code or a password
    /// reset: the tutorial's rule, and no silent time-based unlock that lets guessing resume.
    /// </summary>
    /// Anything shorter than a minute would turn every failure into a new lock (and a new text that skips the cooldown).
    [Range(typeof(TimeSpan), "00:01:00", "3650.00:00:00",
        ErrorMessage = "TwoFactor:LockoutDuration must be empty (locked until unlocked by code or reset) or between 00:01:00 and 3650.00:00:00.")]
    public TimeSpan? LockoutDuration { get; set; }

    /// <summary>
    /// Most tries at one account's codes in any 24 hours, across all clients. Each try has a one-in-a-million chance, so
    /// the default bounds a stranger's luck at 1 in 10,000 per account per day. A client gets one try per code; past
    /// this bound codes are not checked for the account until tries age out.
    /// </summary>
    [Range(1, 1000, ErrorMessage = "TwoFactor:MaxWrongCodesPerDay must be between 1 and 1000.")]
    public int MaxWrongCodesPerDay { get; set; } = 100;

    /// <summary>Least time between two texts to one account. Zero turns the cooldown off.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00", ErrorMessage = "TwoFactor:ResendCooldown must be between 00:00:00 and 01:00:00.")]
    public TimeSpan ResendCooldown { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Most texts to one account in an hour. Zero turns the cap off.</summary>
    [Range(0, 1000, ErrorMessage = "TwoFactor:MaxTextsPerHour must be between 0 (off) and 1000.")]
    public int MaxTextsPerHour { get; set; } = 5;

    /// <summary>Most texts the whole site sends in a UTC day. Zero turns the cap off.</summary>
    [Range(0, 10_000_000, ErrorMessage = "TwoFactor:MaxTextsPerDay must be between 0 (off) and 10000000.")]
    public int MaxTextsPerDay { get; set; } = 1000;

    /// <summary>
    /// The share (percent) of <see cref="MaxTextsPerDay"/> that signup, phone-confirmation and phone-change texts may
    /// use. The rest is kept for unlock, password-reset and sign-in codes, so a flood of signups (SMS pumping) never
    /// leaves locked users without a way back in.
    /// </summary>
    [Range(1, 100, ErrorMessage = "TwoFactor:SignupShareOfDailyTexts must be a percentage between 1 and 100.")]
    public int SignupShareOfDailyTexts { get; set; } = 50;

    /// <summary>Most texts to one phone number in an hour, across all accounts and purposes. Zero turns the cap off.</summary>
    [Range(0, 1000, ErrorMessage = "TwoFactor:MaxTextsPerNumberPerHour must be between 0 (off) and 1000.")]
    public int MaxTextsPerNumberPerHour { get; set; } = 3;

    /// <summary>Most texts to one phone number in a day (24 hours from its first text), across all accounts and
    /// purposes. Zero turns the cap off.</summary>
    [Range(0, 10_000, ErrorMessage = "TwoFactor:MaxTextsPerNumberPerDay must be between 0 (off) and 10000.")]
    public int MaxTextsPerNumberPerDay { get; set; } = 10;

    /// <summary>
    /// New accounts confirm their mobile number with a texted code before they can sign in, and codes for every other
    /// purpose go only to confirmed numbers (OWASP ASVS 5.0 6.6.1). On by default.
    /// </summary>
    public bool RequireConfirmedPhone { get; set; } = true;

    /// <summary>Text the user when the password is changed or reset and when the phone number changes. Off by default:
    /// each notice costs a text.</summary>
    public bool Notices { get; set; }

    /// <summary>How long security events are kept.</summary>
    [Range(typeof(TimeSpan), "1.00:00:00", "3650.00:00:00", ErrorMessage = "TwoFactor:SecurityEventRetention must be between 1.00:00:00 and 3650.00:00:00.")]
    public TimeSpan SecurityEventRetention { get; set; } = TimeSpan.FromDays(90);

    /// <summary>
    /// Base64 key (at least 32 bytes) for the HMAC of stored codes. When empty, a random key is created once in
    /// <see cref="CodeHashKeyFile"/>. Instances sharing a database must share this key.
    /// </summary>
    public string? CodeHashKey { get; set; }

    /// <summary>Where the generated key lives when <see cref="CodeHashKey"/> is empty; relative to the content root.</summary>
    public string CodeHashKeyFile { get; set; } = "App_Data/code-hash.key";
}
