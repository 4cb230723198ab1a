using System.Net;
using System.Text.RegularExpressions;
using IdentityTwoFactor.Identity;
using IdentityTwoFactor.Tests.Unit.Support;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;

namespace IdentityTwoFactor.Tests.Unit.Site;

/// <summary>Answers for unknown emails and for known ones must not differ in anything a client can see.</summary>
public sealed partial class EnumerationTests : IAsyncLifetime
{
    private const string Password = "correct horse battery";
    private SiteFactory _site = null!;

    public async Task InitializeAsync() => _site = await SiteFactory.StartAsync(new() { ["TwoFactor:ResendCooldown"] = "00:01:00" });

    public async Task DisposeAsync() => await _site.DisposeAsync();

    [GeneratedRegex("name=\"__RequestVerificationToken\" type=\"hidden\" value=\"[^\"]+\"")]
    private static partial Regex Token();

    [Fact]
    public async Task LoginAnswersTheSameForAnUnknownEmailAndAWrongPassword()
    {
        var known = await SignUpAsync();
        var unknown = $"nobody-{Guid.NewGuid():N}@example.com";

        var a = await AnswerAsync("/login", known, [("Input.Email", known), ("Input.Password", "wrong password")]);
        var b = await AnswerAsync("/login", unknown, [("Input.Email", unknown), ("Input.Password", "wrong password")]);

        Assert.Equal(a, b);
        Assert.Contains("Wrong user name and password combination. Please try again.", a, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ResetPasswordStepOneAnswersTheSameForAnyEmail()
    {
        var known = await SignUpAsync();
        var unknown = $"nobody-{Guid.NewGuid():N}@example.com";
        var before = _site.RingCentral.Messages.Count;

        var a = await AnswerAsync("/reset-password", known, [("Input.Email", known)]);
        var b = await AnswerAsync("/reset-password", unknown, [("Input.Email", unknown)]);

        Assert.Equal(a, b);
        Assert.Contains("If an account exists for that email, a verification code was sent to its mobile phone.", a, StringComparison.Ordinal);
        Assert.Equal(before + 1, _site.RingCentral.Messages.Count); // only the real account got a text
    }

    [Fact]
    public async Task ResetForAnAccountWithAnUnconfirmedPhoneAnswersLikeAnUnknownEmail()
    {
        var unconfirmed = $"user-{Guid.NewGuid():N}@example.com";
        using (var client = _site.NewClient())
        {
            // Sign up without confirming: the signup page's own answer is the last step taken.
            var signup = await client.PostFormAsync("/signup",
                ("Input.Email", unconfirmed), ("Input.Password", Password), ("Input.ConfirmPassword", Password),
                ("Input.Phone", "(650) 253-0077"), ("Input.FirstName", "Ada"), ("Input.LastName", "Lovelace"));
            Assert.Equal("/confirm-phone", signup.Headers.Location?.OriginalString);
        }
        _site.Clock.Advance(TimeSpan.FromMinutes(2));
        var unknown = $"nobody-{Guid.NewGuid():N}@example.com";
        var before = _site.RingCentral.Messages.Count;

        var a = await AnswerAsync("/reset-password", unconfirmed, [("Input.Email", unconfirmed)]);
        var b = await AnswerAsync("/reset-password", unknown, [("Input.Email", unknown)]);

        Assert.Equal(a, b);
        Assert.Equal(before, _site.RingCentral.Messages.Count);
    }

    [Fact]
    public async Task ASecondResetWithinTheCooldownAnswersTheSameForAnyEmail()
    {
        var known = await SignUpAsync();
        var unknown = $"nobody-{Guid.NewGuid():N}@example.com";
        await AnswerAsync("/reset-password", known, [("Input.Email", known)]);
        await AnswerAsync("/reset-password", unknown, [("Input.Email", unknown)]);

        var a = await AnswerAsync("/reset-password", known, [("Input.Email", known)]);
        var b = await AnswerAsync("/reset-password", unknown, [("Input.Email", unknown)]);

        Assert.Equal(a, b);
        Assert.Contains("Please wait 60 seconds", a, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ResendForAnUnknownOrOpenAccountAnswersLikeALockedOneWithoutTexting()
    {
        var locked = await SignUpAsync();
        var open = await SignUpAsync();
        var unknown = $"nobody-{Guid.NewGuid():N}@example.com";
        using (var client = _site.NewClient())
        {
            for (var i = 0; i < 3; i++)
            {
                await client.LogInAsync(locked, "wrong password");
            }
        }
        _site.Clock.Advance(TimeSpan.FromMinutes(2));
        var before = _site.RingCentral.Messages.Count;

        var answers = new List<string>();
        foreach (var email in new[] { locked, open, unknown })
        {
            answers.Add(await AnswerAsync("/unlock", email, [("Input.Email", email)], "/unlock?handler=Resend"));
        }

        Assert.Equal(answers[0], answers[1]);
        Assert.Equal(answers[0], answers[2]);
        Assert.Equal(before + 1, _site.RingCentral.Messages.Count);
    }

    [Fact]
    public async Task UnlockWithARecoveryCodeAnswersTheSameForAnOpenAccountAndAnUnknownEmail()
    {
        var open = await SignUpAsync();
        var unknown = $"nobody-{Guid.NewGuid():N}@example.com";

        var a = await AnswerAsync("/unlock?with=recovery-code", open, [("Input.Email", open), ("Input.RecoveryCode", "ABCDE-23456")], "/unlock?handler=Recovery&with=recovery-code");
        var b = await AnswerAsync("/unlock?with=recovery-code", unknown, [("Input.Email", unknown), ("Input.RecoveryCode", "ABCDE-23456")], "/unlock?handler=Recovery&with=recovery-code");

        Assert.Equal(a, b);
        Assert.Contains("Please login.", a, StringComparison.Ordinal);
        // An open account's codes are not touched by the unlock form.
        Assert.Equal(10, await _site.WithDbAsync(db => Microsoft.EntityFrameworkCore.EntityFrameworkQueryableExtensions.CountAsync(
            db.RecoveryCodes, c => db.Users.Any(u => u.Id == c.UserId && u.Email == open))));
    }

    [Fact]
    public async Task ResetWithARecoveryCodeAnswersTheSameForARealAndAnUnknownEmail()
    {
        var known = await SignUpAsync();
        var unknown = $"nobody-{Guid.NewGuid():N}@example.com";

        var answers = new List<string>();
        // A wrong code, the wrong code that locks (and texts the owner), a wrong code while locked, and an unknown email.
        foreach (var email in new[] { known, known, known, known, unknown })
        {
            answers.Add(await AnswerAsync("/reset-password?step=recovery-code", email, RecoveryResetFields(email), "/reset-password?handler=Recovery"));
        }

        Assert.All(answers, a => Assert.Equal(answers[0], a));
        Assert.Contains("That recovery code is not right, or was already used.", answers[0], StringComparison.Ordinal);
    }

    internal static (string, string)[] RecoveryResetFields(string email) =>
        [("step", "recovery-code"), ("Input.Email", email), ("Input.RecoveryCode", "ABCDE-23456"), ("Input.NewPassword", "a brand new password"), ("Input.ConfirmPassword", "a brand new password")];

    [Fact]
    public async Task ConfirmPhoneAnswersTheSameForAnUnconfirmedAccountAConfirmedOneAndAnUnknownEmail()
    {
        var unconfirmed = await SignUpUnconfirmedAsync();
        var confirmed = await SignUpAsync();
        var unknown = $"nobody-{Guid.NewGuid():N}@example.com";

        var answers = new List<string>();
        foreach (var email in new[] { unconfirmed, confirmed, unknown })
        {
            answers.Add(await AnswerAsync("/confirm-phone", email, [("Input.Email", email), ("Input.Code", "000000")]));
        }

        Assert.Equal(answers[0], answers[1]);
        Assert.Equal(answers[0], answers[2]);
    }

    [Fact]
    public async Task AResetThenAnUnlockResendAnswersTheSameForARealAndAnUnknownEmail()
    {
        // The budget oracle: the reset's text must not leave a trace that the resend answers differently.
        var known = await SignUpAsync();
        var unknown = $"nobody-{Guid.NewGuid():N}@example.com";
        await AnswerAsync("/reset-password", known, [("Input.Email", known)]);
        await AnswerAsync("/reset-password", unknown, [("Input.Email", unknown)]);

        var a = await AnswerAsync("/unlock", known, [("Input.Email", known)], "/unlock?handler=Resend");
        var b = await AnswerAsync("/unlock", unknown, [("Input.Email", unknown)], "/unlock?handler=Resend");

        Assert.Equal(a, b);
    }

    [Fact]
    public async Task ResetStepTwoAnswersTheSameForARealAndAnUnknownEmail()
    {
        var known = await SignUpAsync();
        var unknown = $"nobody-{Guid.NewGuid():N}@example.com";
        await AnswerAsync("/reset-password", known, [("Input.Email", known)]);

        var answers = new List<string>();
        foreach (var email in new[] { known, known, unknown })
        {
            // The first guess burns the live code (wrong), the second finds none (missing): both read like an unknown email.
            answers.Add(await AnswerAsync("/reset-password?step=code", email, ResetFields(email), "/reset-password?handler=Reset"));
        }

        Assert.Equal(answers[0], answers[2]);
        Assert.Equal(answers[1], answers[2]);
    }

    internal static (string, string)[] ResetFields(string email) =>
        [("Input.Email", email), ("Input.Code", "000000"), ("Input.NewPassword", "a brand new password"), ("Input.ConfirmPassword", "a brand new password")];

    private Task<string> SignUpUnconfirmedAsync() => SignUpUnconfirmedAsync(_site);

    internal static async Task<string> SignUpUnconfirmedAsync(SiteFactory site)
    {
        var email = $"user-{Guid.NewGuid():N}@example.com";
        using var client = site.NewClient();
        var signup = await client.PostFormAsync("/signup",
            ("Input.Email", email), ("Input.Password", Password), ("Input.ConfirmPassword", Password),
            ("Input.Phone", "(650) 253-0077"), ("Input.FirstName", "Ada"), ("Input.LastName", "Lovelace"));
        Assert.Equal("/confirm-phone", signup.Headers.Location?.OriginalString);
        site.Clock.Advance(TimeSpan.FromMinutes(2));
        return email;
    }

    [Fact]
    public async Task AnUnknownEmailCostsOnePasswordHashCheckLikeAWrongPassword()
    {
        var counter = new CountingPasswordHasher();
        await using var site = await SiteFactory.StartAsync(configureServices: s =>
            s.AddScoped<IPasswordHasher<TwoFactorUser>>(_ => counter));
        var known = $"user-{Guid.NewGuid():N}@example.com";
        using var client = site.NewClient();
        await client.SignUpAsync(known, Password);

        counter.Verifications = 0;
        await client.LogInAsync(known, "wrong password");
        var forKnown = counter.Verifications;
        counter.Verifications = 0;
        await client.LogInAsync($"nobody-{Guid.NewGuid():N}@example.com", "wrong password");
        var forUnknown = counter.Verifications;

        Assert.Equal(1, forKnown);
        Assert.Equal(forKnown, forUnknown);
    }

    /// <summary>Posts the form from a fresh client and returns everything visible: status, Location, cookie names,
    /// and the next page with the antiforgery token and the email removed.</summary>
    private async Task<string> AnswerAsync(string form, string email, (string, string)[] fields, string? postPath = null)
    {
        using var client = _site.NewClient();
        var response = await client.PostFormAsync(form, fields.Select(f => new KeyValuePair<string, string>(f.Item1, f.Item2)), postPath);
        var cookies = response.Headers.TryGetValues("Set-Cookie", out var values)
            ? string.Join(";", values.Select(v => v.Split('=')[0]).Order(StringComparer.Ordinal))
            : "";
        var page = await client.FollowAsync(response);
        page = Token().Replace(page, "TOKEN").Replace(email, "EMAIL", StringComparison.Ordinal);
        return $"{(int)response.StatusCode} {response.Headers.Location}\n{cookies}\n{page}";
    }

    private Task<string> SignUpAsync() => SignUpAsync(_site);

    internal static async Task<string> SignUpAsync(SiteFactory site)
    {
        var email = $"user-{Guid.NewGuid():N}@example.com";
        using var client = site.NewClient();
        Assert.Equal(HttpStatusCode.Redirect, (await client.SignUpAsync(email, Password)).StatusCode);
        site.Clock.Advance(TimeSpan.FromMinutes(2)); // past the cooldown of the phone confirmation text
        return email;
    }
}
