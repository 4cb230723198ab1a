using IdentityTwoFactor.Tests.E2E.Infrastructure;
using IdentityTwoFactor.Tests.E2E.Pages;
using Microsoft.Playwright;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace IdentityTwoFactor.Tests.E2E.Stories;

/// <summary>Stories 1 and 2: signing up, logging in and out, and the signup form's validation.</summary>
public sealed class AccountTests(BrowserFixture browser, SiteFixture site, ITestOutputHelper output) : E2ETest(browser, site, output)
{
    [Fact]
    public Task SignUpLogInAndSignOut() => RunAsync(async page =>
    {
        var stories = new UserStories(page, Site);
        var user = await stories.SignUpAsync();
        await Expect(stories.Login.Email).ToHaveValueAsync(user.Email);

        await stories.LogInAsync(user);
        await Expect(stories.Home.SignOutButton).ToBeVisibleAsync();

        await stories.Home.SignOutAsync();
        await stories.Home.GotoAsync();
        await Expect(stories.Home.Heading).Not.ToContainTextAsync("Welcome back");
        await Expect(stories.Home.LogInLink).ToBeVisibleAsync();
        await Expect(stories.Home.SignUpLink).ToBeVisibleAsync();
        await Expect(stories.Home.SignOutButton).ToHaveCountAsync(0);
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Sign out" })).ToHaveCountAsync(0);
    });

    [Fact]
    public Task SignupValidationErrorsAppearNextToTheirFieldsAndNothingIsStored() => RunAsync(async page =>
    {
        var signup = new SignupPage(page);
        var users = Site.Factory.CountUsers();

        await SubmitAndExpectErrorAsync(TestUser.CreateUnique() with { Email = "not-an-email" },
            "Email", "Enter a valid email address.");
        await SubmitAndExpectErrorAsync(TestUser.CreateUnique() with { Password = "short" },
            "Password", "Passwords must be at least 8 characters.");
        await SubmitAndExpectErrorAsync(TestUser.CreateUnique(),
            "ConfirmPassword", "The two passwords do not match.", confirmPassword: "correct horse battery stapler");
        await SubmitAndExpectErrorAsync(TestUser.CreateUnique() with { Phone = "12345" },
            "Phone", "Enter a valid mobile phone number, for example +1 650 555 1234.");
        Assert.Equal(users, Site.Factory.CountUsers());

        var existing = await new UserStories(page, Site).SignUpAsync();
        Assert.Equal(users + 1, Site.Factory.CountUsers());
        await SubmitAndExpectErrorAsync(TestUser.CreateUnique(firstName: "Grace", lastName: "Hopper") with { Email = existing.Email },
            "Email", "An account with this email already exists. Log in, or reset your password.");
        Assert.Equal(users + 1, Site.Factory.CountUsers());

        async Task SubmitAndExpectErrorAsync(TestUser user, string property, string message, string? confirmPassword = null)
        {
            await signup.GotoAsync();
            await signup.SubmitAsync(user, confirmPassword);
            await signup.ExpectPathAsync(SignupPage.Path);

            var error = signup.ErrorFor(property);
            await Expect(error).ToHaveTextAsync(message);
            await Expect(error).ToHaveClassAsync(new System.Text.RegularExpressions.Regex(@"\bfield-validation-error\b"));
            await Expect(signup.ValidationSummary).ToContainTextAsync(message);
            await Expect(signup.Main.Locator(".field-validation-error")).ToHaveCountAsync(1);

            // The span sits in the same .field as the input it describes, and the input points at it.
            var input = signup.Main.Locator($"#Input_{property}");
            await Expect(signup.Main.Locator($".field:has(#Input_{property}) #Input_{property}-error")).ToHaveCountAsync(1);
            await Expect(input).ToHaveAttributeAsync("aria-invalid", "true");
            await Expect(input).ToHaveAttributeAsync("aria-describedby", new System.Text.RegularExpressions.Regex($@"(^|\s)Input_{property}-error(\s|$)"));
            Assert.NotNull(await input.GetAttributeAsync("autofocus"));
            await Expect(signup.Main.Locator("[autofocus]")).ToHaveCountAsync(1);
        }
    });
}
