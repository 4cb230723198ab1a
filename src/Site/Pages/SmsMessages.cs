using System.Globalization;
using IdentityTwoFactor.Identity;
using IdentityTwoFactor.Sms;

namespace IdentityTwoFactor.Pages;

/// <summary>The sentences shown about texted codes, in one place so every page says the same.</summary>
public static class SmsMessages
{
    public const string InvalidCode = "Invalid verification code. Click resend to get a new verification code.";
    public const string ExpiredCode = "Verification code expired. Click resend to get a new verification code.";
    public const string WrongLogin = "Wrong user name and password combination. Please try again.";

    public static string Locked(string? maskedPhone) =>
        $"Your account is temporarily locked. A verification code was sent to your mobile phone number {maskedPhone}. Please enter the verification code to unlock your account.";

    public static string StillLocked(string? maskedPhone) =>
        $"Your account is temporarily locked. Enter the verification code sent to your mobile phone number {maskedPhone}, or click Resend code to get a new one.";

    /// <summary>A clear, retryable sentence for a code that could not be texted. Never an error page.</summary>
    public static string SendFailed(SendCodeResult result)
    {
        var failure = result.Failure;
        if (failure?.Failure == SmsFailureKind.RejectedNumber)
        {
            return $"We could not text your mobile phone number {result.MaskedPhone}: the number refused the message (if you replied STOP, reply START first). Please try again later.";
        }
        if (failure?.RetryAfter is { } wait && wait > TimeSpan.Zero)
        {
            var seconds = (int)Math.Ceiling(wait.TotalSeconds);
            return string.Create(CultureInfo.InvariantCulture,
                $"We could not send the verification code right now. Please try again in {seconds} seconds.");
        }
        return "We could not send the verification code right now. Please try again in a minute.";
    }
}
