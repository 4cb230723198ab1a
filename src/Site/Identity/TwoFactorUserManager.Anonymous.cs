using IdentityTwoFactor.Metrics;

namespace IdentityTwoFactor.Identity;

/// <summary>
/// The forms anyone can post with any email (unlock resend, password reset, phone confirmation). They must not tell
/// which emails have accounts: one answer and the same work for a real email and an unknown one.
/// <list type="bullet">
/// <item>"Please wait" answers come from one budget key per email (<see cref="ISmsBudget.KeyForEmail"/>), the same
///   key a real account's texts use, so nothing a real account did shows through differently.</item>
/// <item>Shared budgets (the site's day, the destination number) are claimed only for a text that is sent; an
///   unknown email only reads the site's day, so a full day answers alike and a flood of unknown emails spends
///   nothing anyone else needs.</item>
/// <item>Checking a code costs one password hash on every path of the reset (the new password's hash, or the dummy
///   hash where none is stored), and the same code lookup for an unknown email as for a real one.</item>
/// </list>
/// </summary>
public partial class TwoFactorUserManager
{
    /// <summary>Stands in for the account of an unknown email in the lookups a real account's check makes.</summary>
    private static readonly TwoFactorUser Nobody = new() { Id = Guid.Empty.ToString("D") };

    private ISmsBudget Budget => (ISmsBudget)ServiceProvider.GetService(typeof(ISmsBudget))!;

    /// <summary>The hashing work an unknown email (or a failed reset) spends instead of a real password check.</summary>
    private DummyPasswordCheck DummyCheck =>
        (DummyPasswordCheck?)ServiceProvider.GetService(typeof(DummyPasswordCheck)) ?? new DummyPasswordCheck(PasswordHasher);

    /// <summary>
    /// Texts the code when the account <paramref name="qualifies"/> (and otherwise texts nothing), answering as a
    /// stranger may be answered: a refusal of the email's own budget or of the site's full day, or "sent". A refusal
    /// for the destination number reads as "sent" too: saying so would tell that the email has an account with that
    /// number. A provider failure is said (the owner must know to retry), and its claims are refunded.
    /// </summary>
    public virtual async Task<SendCodeResult> SendCodeIfAsync(TwoFactorUser? user, bool qualifies, string purpose, string email, CancellationToken cancellationToken = default)
    {
        var budget = Budget;
        var request = await budget.TryClaimAccountAsync(budget.KeyForEmail(email), ignoreCooldown: false, cancellationToken);
        if (!request.Allowed)
        {
            // Counted for real and unknown emails alike: the refusal is the email's budget, whoever owns it.
            Metrics.RecordText(purpose, SmsTwoFactorMetrics.RefusedTag(request.Refusal.ToString()));
            return new SendCodeResult(false, null, Refused: request);
        }
        if (user is not null && qualifies)
        {
            SendCodeResult sent;
            try
            {
                sent = await Codes.SendAsync(purpose, this, user, ignoreCooldown: false, accountClaimedByCaller: true, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                await request.Refund!();
                throw;
            }
            if (sent.Sent)
            {
                await RecordEventAsync(user, SecurityEventKinds.CodeSent);
                return sent with { MaskedPhone = null };
            }
            if (sent.Failure is not null || sent.Refused?.Refusal is BudgetRefusal.DailyCap or BudgetRefusal.SignupShare)
            {
                await request.Refund!();
                return sent with { MaskedPhone = null };
            }
            // Nothing texted (an unconfirmed number, the number's cap): answered below, as for any email.
        }
        var day = await budget.PeekDayAsync(CodePurposes.TextKindOf(purpose), CancellationToken.None);
        if (!day.Allowed)
        {
            await request.Refund!();
            return new SendCodeResult(false, null, Refused: day);
        }
        return new SendCodeResult(true, null);
    }

    /// <summary>Reset step 2 for any email: the code and the new password. Every path but success hashes the new
    /// password against the dummy hash, as success hashes it to store it; a wrong, used, expired or missing code and
    /// an unknown email all answer <see cref="SmsCodeCheckResult.Wrong"/>, since anyone can have a code texted and wait
    /// for it to expire.</summary>
    public virtual Task<SmsCodeCheckResult> ResetPasswordWithCodeAsync(TwoFactorUser? user, string code, string newPassword) =>
        // One slot for the whole step, taken first on every path: a busy answer is the same for any email and changes nothing.
        Hashing.RunAsync(async () =>
        {
            if (user is not null && (await ResetPasswordAsync(user, code, newPassword)).Succeeded)
            {
                return SmsCodeCheckResult.Valid;
            }
            if (user is null)
            {
                await Codes.GetStateAsync(CodePurposes.ResetPassword, Nobody);
            }
            DummyCheck.Verify(newPassword);
            return SmsCodeCheckResult.Wrong;
        });

    /// <summary>Phone confirmation for any email: only an account whose number is unconfirmed can succeed; every
    /// other case (unknown email, confirmed number, wrong, used, expired or missing code) makes the same lookup and
    /// answers <see cref="SmsCodeCheckResult.Wrong"/>.</summary>
    public virtual async Task<SmsCodeCheckResult> ConfirmPhoneForEmailAsync(TwoFactorUser? user, string code)
    {
        if (user is { PhoneNumberConfirmed: false })
        {
            return await ConfirmPhoneAsync(user, code) == SmsCodeCheckResult.Valid ? SmsCodeCheckResult.Valid : SmsCodeCheckResult.Wrong;
        }
        await Codes.GetStateAsync(CodePurposes.ConfirmPhone, user ?? Nobody);
        return SmsCodeCheckResult.Wrong;
    }
}
