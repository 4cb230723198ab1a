using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace IdentityTwoFactor.Identity;

/// <summary>
/// Identity's UserManager plus the texted-code operations the pages need (send, check with a reason, unlock).
/// The lockout rule itself is in TwoFactorUserManager.Lockout.cs.
/// </summary>
public partial class TwoFactorUserManager(
    IUserStore<TwoFactorUser> store,
    IOptions<IdentityOptions> optionsAccessor,
    IPasswordHasher<TwoFactorUser> passwordHasher,
    IEnumerable<IUserValidator<TwoFactorUser>> userValidators,
    IEnumerable<IPasswordValidator<TwoFactorUser>> passwordValidators,
    ILookupNormalizer keyNormalizer,
    IdentityErrorDescriber errors,
    IServiceProvider services,
    ILogger<UserManager<TwoFactorUser>> logger,
    SmsCodeTokenProvider codes,
    IOptions<TwoFactorOptions> twoFactorOptions,
    TimeProvider time)
    : UserManager<TwoFactorUser>(store, optionsAccessor, passwordHasher, userValidators, passwordValidators, keyNormalizer, errors, services, logger)
{
    protected SmsCodeTokenProvider Codes { get; } = codes;
    protected TwoFactorOptions TwoFactor => twoFactorOptions.Value;
    protected TimeProvider Time { get; } = time;

    private IUserCodeStore<TwoFactorUser> CodeStore => Store as IUserCodeStore<TwoFactorUser>
        ?? throw new NotSupportedException($"The user store must implement {nameof(IUserCodeStore<TwoFactorUser>)}.");

    /// <summary>Texts a fresh code for <paramref name="purpose"/> to the user's phone.</summary>
    public virtual Task<SendCodeResult> SendCodeAsync(TwoFactorUser user, string purpose, CancellationToken cancellationToken = default)
        => Codes.SendAsync(purpose, this, user, cancellationToken);

    /// <summary>Checks and consumes a code, saying why it failed.</summary>
    public virtual Task<CodeCheckResult> CheckCodeAsync(TwoFactorUser user, string purpose, string code)
        => Codes.CheckAsync(purpose, code, this, user);

    public virtual Task<CodeState> GetCodeStateAsync(TwoFactorUser user, string purpose)
        => Codes.GetStateAsync(purpose, user);

    /// <summary>Identity's reset (code checked by our provider, new hash, new security stamp so other sessions
    /// end), then the lock and failure count are cleared: the texted code proved the owner.</summary>
    public override async Task<IdentityResult> ResetPasswordAsync(TwoFactorUser user, string token, string newPassword)
    {
        var result = await base.ResetPasswordAsync(user, token, newPassword);
        if (result.Succeeded)
        {
            await UnlockAsync(user);
        }
        return result;
    }

    /// <summary>Changing the phone number drops outstanding codes (see the store) and needs a new confirmation.</summary>
    public virtual async Task RemoveCodesAsync(TwoFactorUser user) =>
        await CodeStore.RemoveCodesAsync(user, CancellationToken);
}
