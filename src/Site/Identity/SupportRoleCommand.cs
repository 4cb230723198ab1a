namespace IdentityTwoFactor.Identity;

/// <summary>
/// <c>dotnet IdentityTwoFactor.Site.dll --grant-support EMAIL</c> and <c>--revoke-support EMAIL</c>: run like
/// <c>--migrate-only</c> (the change, one line, exit 0), without starting the site. An unknown email, a missing one, or
/// both options at once: one line saying so, a non-zero exit, nothing changed.
/// </summary>
public static class SupportRoleCommand
{
    public const string Grant = "--grant-support";
    public const string Revoke = "--revoke-support";

    public static bool IsRequested(IReadOnlyList<string> args) => args.Contains(Grant) || args.Contains(Revoke);

    /// <returns>The process's exit code: 0 done, 1 no such account, 2 the command line is wrong.</returns>
    public static async Task<int> RunAsync(IServiceProvider services, IReadOnlyList<string> args, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(output);
        var grant = args.Contains(Grant);
        if (grant && args.Contains(Revoke))
        {
            await output.WriteLineAsync($"Give either {Grant} EMAIL or {Revoke} EMAIL, not both: nothing changed.");
            return 2;
        }
        var option = grant ? Grant : Revoke;
        var at = args.ToList().IndexOf(option);
        var email = at + 1 < args.Count ? args[at + 1].Trim() : "";
        if (email.Length == 0 || email.StartsWith('-'))
        {
            await output.WriteLineAsync($"{option} needs the account's email, for example {option} agent@example.com: nothing changed.");
            return 2;
        }
        await using var scope = services.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<TwoFactorUserManager>();
        if (await users.FindByEmailAsync(email) is not { } user)
        {
            await output.WriteLineAsync($"No account with the email {email}: nothing changed.");
            return 1;
        }
        var result = grant ? await users.GrantSupportAsync(user) : await users.RevokeSupportAsync(user);
        if (!result.Succeeded)
        {
            await output.WriteLineAsync($"The role of {user.Email} could not be changed ({string.Join(", ", result.Errors.Select(e => e.Code))}): nothing changed.");
            return 1;
        }
        await output.WriteLineAsync(grant
            ? $"{user.Email} has the Support role: the console is at /support."
            : $"{user.Email} no longer has the Support role.");
        return 0;
    }
}
