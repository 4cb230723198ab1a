using System.Globalization;
using IdentityTwoFactor.Identity;
using IdentityTwoFactor.Sms;

namespace IdentityTwoFactor.Pages;

/// <summary>The sentences shown about texted codes, in one place so every page says the same.</summary>
public static class SmsMessages
{
    public const string InvalidCode = "Invalid verification code. Click resend to get a new verification code.";
    public const string ExpiredCode = "Verification code expired. Click resend to get a new verification code.";
    public const string TooManyTries =
        "Too many codes were tried for this account in the last 24 hours, so codes are not being checked for it right now. Please try again tomorrow.";
    /// <summary>The message for a code that did not work, from its state read just before the consuming call.</summary>
    public static string CodeRejected(CodeState stateBefore) => stateBefore == CodeState.Expired ? ExpiredCode : InvalidCode;

    public const string MalformedRecoveryCode = "Enter one of your recovery codes: 10 letters and digits, like ABCDE-23456.";
    public const string WrongRecoveryCode =
        "That recovery code is not right, or was already used. Each code works once; check it and try another of your codes.";
    public const string UnlockedWithRecoveryCode =
        "Your account is unlocked. That recovery code is now used up. Please log in.";

    public const string WrongAppCode =
        "That code from your authenticator app is not right, or was already used. Each code works once; enter the code the app shows now.";
    public const string AppTooManyTries =
        "Too many authenticator app codes were tried for this account in the last 24 hours, so they are not being checked right now. Use a texted code or a recovery code, or try again tomorrow.";
    public const string UnlockedWithApp = "Your account is unlocked. Please log in.";

    public const string WrongLogin = "Wrong user name and password combination. Please try again.";

    public static string ConfirmPhoneSent(string? maskedPhone) =>
        $"Please confirm your mobile phone number: we texted a 6-digit code to {maskedPhone}.";

    public static string Locked(string? maskedPhone) =>
        $"Your account is temporarily locked. A verification code was sent to your mobile phone number {maskedPhone}. Please enter the verification code to unlock your account.";

    public static string StillLocked(string? maskedPhone) =>
        $"Your account is temporarily locked. Enter the verification code sent to your mobile phone number {maskedPhone}, or click Resend code to get a new one.";

    /// <summary>The budget's refusal, saying when to try again.</summary>
    public static string Refused(BudgetDecision refused) => refused.Refusal switch
    {
        BudgetRefusal.Cooldown => $"A code was texted moments ago. Please wait {Wait(refused.RetryAfter)} before asking for another.",
        BudgetRefusal.HourlyCap => $"Too many codes were texted to this account in the last hour. Please try again in {Wait(refused.RetryAfter)}.",
        BudgetRefusal.NumberHourlyCap => $"Too many codes were texted to this phone number in the last hour. Please try again in {Wait(refused.RetryAfter)}.",
        BudgetRefusal.NumberDailyCap => $"Too many codes were texted to this phone number today. Please try again in {Wait(refused.RetryAfter)}.",
        BudgetRefusal.SignupShare => $"The site has sent all the texts to new phone numbers it may send today. Please try again in {Wait(refused.RetryAfter)}.",
        _ => $"The site has sent all the texts it may send today. Please try again in {Wait(refused.RetryAfter)}.",
    };

    /// <summary>"42 seconds", "1 minute", "17 minutes", "3 hours".</summary>
    public static string Wait(TimeSpan wait)
    {
        var seconds = Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds));
        if (seconds <= 90)
        {
            return seconds == 1 ? "1 second" : string.Create(CultureInfo.InvariantCulture, $"{seconds} seconds");
        }
        var minutes = (int)Math.Ceiling(seconds / 60.0);
        if (minutes <= 90)
        {
            return string.Create(CultureInfo.InvariantCulture, $"{minutes} minutes");
        }
        return string.Create(CultureInfo.InvariantCulture, $"{(int)Math.Ceiling(minutes / 60.0)} hours");
    }

    /// <summary>A clear, retryable sentence for a code that could not be texted. Never an error page.</summary>
    public static string SendFailed(SendCodeResult result)
    {
        if (result.PhoneNotConfirmed)
        {
            return "Your mobile phone number is not confirmed yet, so no code could be texted to it. Confirm it first.";
        }
        if (result.Refused is { } refused)
        {
            return Refused(refused);
        }
        var failure = result.Failure;
        if (failure?.Failure == SmsFailureKind.RejectedNumber)
        {
            // The forms anyone can post leave the number out: a stranger must not learn its last digits.
            return result.MaskedPhone is null
                ? "We could not text the mobile phone number: it refused the message (if you replied STOP, reply START first). Please try again later."
                : $"We could not text your mobile phone number {result.MaskedPhone}: the number refused the message (if you replied STOP, reply START first). Please try again later.";
        }
        if (failure?.RetryAfter is { } wait && wait > TimeSpan.Zero)
        {
            return $"We could not send the verification code right now. Please try again in {Wait(wait)}.";
        }
        return "We could not send the verification code right now. Please try again in a minute.";
    }
}
