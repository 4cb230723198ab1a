using System.ComponentModel.DataAnnotations;

namespace IdentityTwoFactor;

/// <summary>
/// Settings of <see cref="SmsTwoFactorIdentityBuilderExtensions.AddSmsTwoFactor(Microsoft.AspNetCore.Identity.IdentityBuilder, Action{SmsTwoFactorOptions})"/>.
/// The lockout limits are not here: they are Identity's own <c>IdentityOptions.Lockout</c>. Everything that changes
/// what Identity does is off until asked for.
/// </summary>
public sealed class SmsTwoFactorOptions
{
    /// <summary>The configuration section the settings are usually bound from.</summary>
    public const string SectionName = "SmsTwoFactor";

    /// <summary>How long a texted code can be used. Default one hour; 1 minute to 24 hours.</summary>
    [Range(typeof(TimeSpan), "00:01:00", "1.00:00:00", ErrorMessage = "SmsTwoFactor:CodeLifetime must be between 00:01:00 and 1.00:00:00.")]
    public TimeSpan CodeLifetime { get; set; } = TimeSpan.FromHours(1);

    /// <summary>The text message. <c>{code}</c> is required; <c>{purpose}</c> (for example "to unlock your account") and
    /// <c>{minutes}</c> (the lifetime) are optional.</summary>
    public string MessageTemplate { get; set; } = "{code} is your verification code {purpose}. It expires in {minutes} minutes. Do not share it.";

    /// <summary>Base64 of at least 32 random bytes that key the codes' hashes (the same on every instance). When empty,
    /// a key file under the content root is used (<see cref="CodeHashKeyFile"/>), created on first start.</summary>
    public string? CodeHashKey { get; set; }

    /// <summary>The key file used when <see cref="CodeHashKey"/> is empty, relative to the content root.</summary>
    public string CodeHashKeyFile { get; set; } = Path.Combine("App_Data", "sms-code-hash.key");

    /// <summary>Text codes only to numbers the user confirmed (Identity's <c>PhoneNumberConfirmed</c>). Default true.</summary>
    public bool RequireConfirmedPhone { get; set; } = true;

    /// <summary>The least time between two texts to one account. Default 60 seconds; up to one hour.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00", ErrorMessage = "SmsTwoFactor:ResendCooldown must be between 00:00:00 and 01:00:00.")]
    public TimeSpan ResendCooldown { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Texts per account per hour. Default 5; 0 for no cap.</summary>
    [Range(0, 1000, ErrorMessage = "SmsTwoFactor:MaxTextsPerAccountPerHour must be between 0 and 1000.")]
    public int MaxTextsPerAccountPerHour { get; set; } = 5;

    /// <summary>Texts per destination number per hour, across accounts and purposes. Default 3; 0 for no cap.</summary>
    [Range(0, 1000, ErrorMessage = "SmsTwoFactor:MaxTextsPerNumberPerHour must be between 0 and 1000.")]
    public int MaxTextsPerNumberPerHour { get; set; } = 3;

    /// <summary>Texts per destination number per day. Default 10; 0 for no cap.</summary>
    [Range(0, 10000, ErrorMessage = "SmsTwoFactor:MaxTextsPerNumberPerDay must be between 0 and 10000.")]
    public int MaxTextsPerNumberPerDay { get; set; } = 10;

    /// <summary>Texts for the whole app per UTC day. Default 0 (no cap).</summary>
    [Range(0, int.MaxValue, ErrorMessage = "SmsTwoFactor:MaxTextsPerDay must be 0 or more.")]
    public int MaxTextsPerDay { get; set; }

    /// <summary>Tries at one user's texted codes, from every client together, in any 24 hours. Each client gets one try per
    /// code (see <see cref="Codes.ISmsCodeClient"/>); past this bound no code of the user is compared until tries age
    /// out, so a stranger's chance stays at most this many in a million per account per day (100: 1 in 10,000).
    /// Default 100; 1 to 1000.</summary>
    [Range(1, 1000, ErrorMessage = "SmsTwoFactor:MaxWrongCodesPerDay must be between 1 and 1000.")]
    public int MaxWrongCodesPerDay { get; set; } = 100;

    /// <summary>How long security events (<see cref="Events.ISecurityEventLog"/>) are kept before
    /// <see cref="Events.ISecurityEventLog.PruneAsync"/> deletes them. Default 90 days; 1 day to 10 years.</summary>
    [Range(typeof(TimeSpan), "1.00:00:00", "3650.00:00:00", ErrorMessage = "SmsTwoFactor:SecurityEventRetention must be between 1.00:00:00 and 3650.00:00:00.")]
    public TimeSpan SecurityEventRetention { get; set; } = TimeSpan.FromDays(90);

    /// <summary>Opt-in: password reset tokens become texted codes (Identity's <c>Tokens.PasswordResetTokenProvider</c>).
    /// Off by default, so an app that resets by an emailed link keeps doing so.</summary>
    public bool UseForPasswordReset { get; set; }

    /// <summary>Opt-in: phone-change tokens become texted codes (Identity's <c>Tokens.ChangePhoneNumberTokenProvider</c>).</summary>
    public bool UseForPhoneChange { get; set; }

    /// <summary>Opt-in: replaces Identity's sign-in manager with <see cref="Lockout.SmsTwoFactorSignInManager{TUser}"/>,
    /// which counts every wrong password (even where a page passes <c>lockoutOnFailure: false</c>, as the stock UI's
    /// login page does), compares at most the limit's passwords per lock, never hashes a password of a locked account,
    /// and texts the unlock code when an account locks. Read when <c>AddSmsTwoFactor</c> runs.</summary>
    public bool UseSignInManager { get; set; }
}
