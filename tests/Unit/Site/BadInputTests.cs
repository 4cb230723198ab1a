using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using IdentityTwoFactor.Tests.Unit.Support;

namespace IdentityTwoFactor.Tests.Unit.Site;

/// <summary>
/// Baseline rule 10: bad input to any form or handler gets a clear 4xx page or a validation message, never a 500
/// and never a stack trace, and never changes stored data. One site for the whole table, with one real user and one
/// locked user (and their live codes) whose rows must survive every row of the table unchanged.
/// </summary>
public sealed partial class BadInputTests(BadInputTests.SeededSite fixture) : IClassFixture<BadInputTests.SeededSite>
{
    public const string Password = "correct horse battery";
    public const string RealEmail = "real-user@example.com";
    public const string LockedEmail = "locked-user@example.com";
    private const string UnknownEmail = "nobody-here@example.com";
    private const string FreshEmail = "{fresh}";
    private const string NewPassword = "a brand new passphrase";
    private const string Script = "<script>alert(1)</script>";

    /// <summary>What a row may answer.</summary>
    [Flags]
    public enum Answer
    {
        /// <summary>A 2xx page showing a field error, the validation summary or a flash.</summary>
        Validation = 1,
        /// <summary>A 3xx to a page with a flash (a well-formed but wrong request, answered as the site answers any).</summary>
        Redirect = 2,
        /// <summary>A 4xx page.</summary>
        ClientError = 4,
        /// <summary>Any 2xx page (only for GETs, which change nothing).</summary>
        AnyPage = 8,
        /// <summary>Signup accepted the values (302 to /confirm-phone) and stored them exactly.</summary>
        Created = 16,
    }

    /// <summary>What a row may change in the database; anything else must be byte-identical before and after.</summary>
    public enum Allowed
    {
        Nothing,
        /// <summary>An unknown email on a form that texts claims the same SMS budget a real account would (no enumeration).</summary>
        Budget,
        /// <summary>Exactly one new user row, holding exactly the submitted values.</summary>
        NewUser,
    }

    public enum Token
    {
        Valid,
        Missing,
        /// <summary>A genuine token, but issued to another browser (does not match this browser's cookie).</summary>
        OtherBrowser,
        Garbage,
        /// <summary>A valid token sent in the RequestVerificationToken header instead of the body.</summary>
        Header,
    }

    public enum Body
    {
        Form,
        Json,
        MultipartWithoutBoundary,
        FormLabelledTextPlain,
        MultipartLabelledJson,
    }

    public sealed record BadRequest(
        string Name,
        HttpMethod Method,
        string FormPage,
        string Target,
        IReadOnlyList<KeyValuePair<string, string>> Fields,
        Answer Answer,
        Allowed Allowed = Allowed.Nothing,
        Token Token = Token.Valid,
        Body Body = Body.Form);

    private sealed record Form(string Name, string Page, string Target, (string Field, string Value)[] Fields);

    private static readonly string OneMegabyte = new('a', 1 << 20);
    private static readonly string TenMegabytes = new('a', 10 << 20);

    private static readonly Form Signup = new("signup", "/signup", "/signup",
    [
        ("Input.Email", FreshEmail), ("Input.Password", Password), ("Input.ConfirmPassword", Password),
        ("Input.Phone", "(650) 253-0000"), ("Input.FirstName", "Ada"), ("Input.LastName", "Lovelace"),
    ]);

    private static readonly Form Login = new("login", "/login", "/login",
        [("Input.Email", UnknownEmail), ("Input.Password", "wrong password")]);

    private static readonly Form Unlock = new("unlock", "/unlock", "/unlock",
        [("Input.Email", LockedEmail), ("Input.Code", "000000")]);

    private static readonly Form UnlockResend = new("unlock-resend", "/unlock", "/unlock?handler=Resend",
        [("Input.Email", LockedEmail)]);

    private static readonly Form ResetSend = new("reset-send", "/reset-password", "/reset-password",
        [("Input.Email", RealEmail)]);

    private static readonly Form ResetResend = new("reset-resend", "/reset-password?step=code", "/reset-password?handler=Resend",
        [("step", "code"), ("Input.Email", RealEmail)]);

    private static readonly Form ResetCode = new("reset-code", "/reset-password?step=code", "/reset-password?handler=Reset",
    [
        ("step", "code"), ("Input.Email", RealEmail), ("Input.Code", "000000"),
        ("Input.NewPassword", NewPassword), ("Input.ConfirmPassword", NewPassword),
    ]);

    private static readonly Form Logout = new("logout", "/login", "/logout", []);

    private static readonly Form UnlockRecovery = new("unlock-recovery", "/unlock?with=recovery-code", "/unlock?handler=Recovery&with=recovery-code",
        [("Input.Email", LockedEmail), ("Input.RecoveryCode", "ABCDE-23456")]);

    private static readonly Form ResetRecovery = new("reset-recovery", "/reset-password?step=recovery-code", "/reset-password?handler=Recovery",
    [
        ("step", "recovery-code"), ("Input.Email", RealEmail), ("Input.RecoveryCode", "ABCDE-23456"),
        ("Input.NewPassword", NewPassword), ("Input.ConfirmPassword", NewPassword),
    ]);

    private static readonly Form UnlockApp = new("unlock-app", "/unlock?with=app", "/unlock?handler=App&with=app",
        [("Input.Email", LockedEmail), ("Input.Code", "000000")]);

    private static readonly Form ResetApp = new("reset-app", "/reset-password?step=app", "/reset-password?handler=App",
    [
        ("step", "app"), ("Input.Email", RealEmail), ("Input.Code", "000000"),
        ("Input.NewPassword", NewPassword), ("Input.ConfirmPassword", NewPassword),
    ]);

    private static readonly Form[] AllForms =
        [Signup, Login, Unlock, UnlockResend, ResetSend, ResetResend, ResetCode, Logout, UnlockRecovery, ResetRecovery, UnlockApp, ResetApp];

    private static readonly Dictionary<string, BadRequest> Table = BuildTable().ToDictionary(r => r.Name, StringComparer.Ordinal);

    public static TheoryData<string> Rows()
    {
        var data = new TheoryData<string>();
        foreach (var name in Table.Keys)
        {
            data.Add(name);
        }
        return data;
    }

    private static IEnumerable<BadRequest> BuildTable()
    {
        // Missing fields: each required field absent, then every field absent.
        foreach (var form in AllForms.Where(f => f.Fields.Length > 0))
        {
            foreach (var (field, _) in form.Fields.Where(f => f.Field != "step"))
            {
                yield return Post(form, $"missing {field}", Without(form, field), Answer.Validation);
            }
            yield return Post(form, "all fields missing", [], Answer.Validation);
        }

        // 1 MB in each field, and 10 MB in one.
        foreach (var form in AllForms)
        {
            foreach (var (field, _) in form.Fields.Where(f => f.Field != "step"))
            {
                yield return Post(form, $"1 MB {field}", With(form, field, OneMegabyte), Answer.Validation);
            }
        }
        yield return Post(Login, "10 MB Input.Email", With(Login, "Input.Email", TenMegabytes), Answer.Validation | Answer.ClientError);
        yield return Post(Signup, "10 MB Input.FirstName", With(Signup, "Input.FirstName", TenMegabytes), Answer.Validation | Answer.ClientError);

        // Control characters.
        var controls = new (string Name, string Value)[] { ("NUL", "\0"), ("SOH", "\x01"), ("ESC", "\x1b"), ("CRLF", "\r\n"), ("RLO", "\u202e") };
        foreach (var (name, value) in controls)
        {
            // ASP.NET Core's form reader refuses a NUL outright (the form cannot be read): a 400 page is a clear answer too.
            var rejected = value == "\0" ? Answer.Validation | Answer.ClientError : Answer.Validation;
            yield return Post(Signup, $"{name} in Input.FirstName", With(Signup, "Input.FirstName", $"Ad{value}a"), rejected);
            yield return Post(Signup, $"{name} in Input.Email", With(Signup, "Input.Email", $"ad{value}a-{Guid.NewGuid():N}@example.com"), rejected);
            yield return Post(Unlock, $"{name} in Input.Code", With(Unlock, "Input.Code", $"123{value}45"), rejected);
        }
        yield return Post(Login, "NUL in Input.Email", With(Login, "Input.Email", "nobody\0@example.com"), Answer.Validation | Answer.ClientError);
        yield return Post(Login, "ESC in Input.Password", With(Login, "Input.Password", "wrong\x1b[2Jpassword"), Answer.Redirect);
        yield return Post(UnlockResend, "RLO in Input.Email", With(UnlockResend, "Input.Email", "nobody\u202emoc.elpmaxe@"), Answer.Validation);
        yield return Post(ResetSend, "CRLF in Input.Email", With(ResetSend, "Input.Email", "nobody@example.com\r\nBcc: all@example.com"), Answer.Validation);

        // Characters outside the Basic Multilingual Plane.
        yield return Post(Signup, "emoji in Input.Phone", With(Signup, "Input.Phone", "😀😀😀"), Answer.Validation);
        yield return Post(Signup, "non-BMP Input.FirstName is stored exactly", With(Signup, "Input.FirstName", "𝒜da 😀"), Answer.Created, Allowed.NewUser);
        yield return Post(Signup, "non-BMP password is accepted",
            With(With(Signup, "Input.Password", "😀 horse 𝒜 battery"), "Input.ConfirmPassword", "😀 horse 𝒜 battery"), Answer.Created, Allowed.NewUser);
        yield return Post(Login, "emoji in Input.Email", With(Login, "Input.Email", "😀@example.com"), Answer.Redirect);
        yield return Post(Unlock, "emoji code (6 UTF-16 units)", With(Unlock, "Input.Code", "😀😀😀"), Answer.Validation);
        yield return Post(ResetCode, "non-BMP code (6 UTF-16 units)", With(ResetCode, "Input.Code", "𝒜𝒜𝒜"), Answer.Validation);

        // HTML and SQL injection.
        var injections = new (string Name, string Value)[] { ("script", Script), ("or-1-1", "' OR 1=1 --"), ("drop-table", "\"; DROP TABLE Users; --") };
        foreach (var (name, value) in injections)
        {
            yield return Post(Signup, $"{name} in Input.Email", With(Signup, "Input.Email", value), Answer.Validation);
            yield return Post(Signup, $"{name} in Input.LastName is stored verbatim", With(Signup, "Input.LastName", value), Answer.Created, Allowed.NewUser);
            yield return Post(Login, $"{name} in Input.Email", With(Login, "Input.Email", value), Answer.Validation);
            yield return Post(ResetSend, $"{name} in Input.Email", With(ResetSend, "Input.Email", value), Answer.Validation);
        }
        yield return Post(Unlock, "script in Input.Code", With(Unlock, "Input.Code", Script), Answer.Validation);

        // Codes that are not 6 ASCII digits, against the live codes of real accounts: none may be spent.
        string[] codes = ["abcdef", "12345", "1234567", "１２３４５６", "-12345", "99999999999999999999", " 123456 ", "12 456"];
        foreach (var code in codes)
        {
            yield return Post(Unlock, $"code '{code}'", With(Unlock, "Input.Code", code), Answer.Validation);
            yield return Post(ResetCode, $"code '{code}'", With(ResetCode, "Input.Code", code), Answer.Validation);
            // Nor counted toward the lock or the app's tries: a malformed app code is a message.
            yield return Post(UnlockApp, $"app code '{code}'", With(UnlockApp, "Input.Code", code), Answer.Validation);
            yield return Post(ResetApp, $"app code '{code}'", With(ResetApp, "Input.Code", code), Answer.Validation);
        }

        // Recovery codes that are not 10 characters of the alphabet: a message, and no code of the account is spent.
        string[] recoveryCodes = ["ABCDE-2345", "ABCDE-234567", "ABCDE_23456", "ＡＢＣＤＥ-２３４５６", "ABCD0-23456", "ABCDE-23456\u202e", "123456"];
        foreach (var code in recoveryCodes)
        {
            yield return Post(UnlockRecovery, $"recovery code '{code}'", With(UnlockRecovery, "Input.RecoveryCode", code), Answer.Validation);
            yield return Post(ResetRecovery, $"recovery code '{code}'", With(ResetRecovery, "Input.RecoveryCode", code), Answer.Validation);
        }

        // Antiforgery: a token from another browser, and no token, on every handler.
        foreach (var form in AllForms)
        {
            yield return Post(form, "token of another browser", Fields(form), Answer.ClientError) with { Token = Token.OtherBrowser };
            yield return Post(form, "no token", Fields(form), Answer.ClientError) with { Token = Token.Missing };
        }
        yield return Post(Login, "garbage token", Fields(Login), Answer.ClientError) with { Token = Token.Garbage };

        // GET on POST-only handlers.
        yield return Get("GET /logout", "/logout");
        yield return Get("GET /unlock?handler=Resend", "/unlock?handler=Resend");
        yield return Get("GET /reset-password?handler=Reset", "/reset-password?handler=Reset");
        yield return Get("GET /reset-password?handler=Resend", "/reset-password?handler=Resend");

        // Unknown handlers, with a valid token.
        yield return Post(Login with { Target = "/login?handler=Nope" }, "unknown handler", Fields(Login), Answer.Validation | Answer.ClientError);
        yield return Post(Unlock with { Target = "/unlock?handler=Nope" }, "unknown handler", Fields(Unlock), Answer.Validation | Answer.ClientError);
        yield return Post(ResetCode with { Target = "/reset-password?handler=Nope" }, "unknown handler", Fields(ResetCode), Answer.Validation | Answer.ClientError);

        // Bodies of the wrong kind: the token travels in the header, so only the body is wrong.
        yield return Post(Login, "JSON body", Fields(Login), Answer.Validation | Answer.ClientError) with { Token = Token.Header, Body = Body.Json };
        yield return Post(Unlock, "JSON body", Fields(Unlock), Answer.Validation | Answer.ClientError) with { Token = Token.Header, Body = Body.Json };
        yield return Post(Login, "JSON body, token in body", Fields(Login), Answer.ClientError) with { Body = Body.Json };
        yield return Post(Login, "multipart without boundary", Fields(Login), Answer.Validation | Answer.ClientError) with { Token = Token.Header, Body = Body.MultipartWithoutBoundary };
        yield return Post(Signup, "multipart without boundary", Fields(Signup), Answer.Validation | Answer.ClientError) with { Body = Body.MultipartWithoutBoundary };
        yield return Post(Login, "form labelled text/plain", Fields(Login), Answer.Validation | Answer.ClientError) with { Token = Token.Header, Body = Body.FormLabelledTextPlain };
        yield return Post(Signup, "multipart labelled application/json", Fields(Signup), Answer.Validation | Answer.ClientError) with { Body = Body.MultipartLabelledJson };
    }

    private static BadRequest Post(Form form, string what, IReadOnlyList<KeyValuePair<string, string>> fields, Answer answer, Allowed allowed = Allowed.Nothing) =>
        new($"{form.Name}: {what}", HttpMethod.Post, form.Page, form.Target, fields, answer, allowed);

    private static BadRequest Get(string name, string target) =>
        new(name, HttpMethod.Get, target, target, [], Answer.AnyPage | Answer.Redirect | Answer.ClientError, Token: Token.Missing);

    private static List<KeyValuePair<string, string>> Fields(Form form) => form.Fields.Select(f => KeyValuePair.Create(f.Field, f.Value)).ToList();

    private static List<KeyValuePair<string, string>> Without(Form form, string field) => Fields(form).Where(f => f.Key != field).ToList();

    private static List<KeyValuePair<string, string>> With(Form form, string field, string value) => With(Fields(form), field, value);

    private static List<KeyValuePair<string, string>> With(List<KeyValuePair<string, string>> fields, string field, string value) =>
        fields.Select(f => f.Key == field ? KeyValuePair.Create(f.Key, value) : f).ToList();

    [GeneratedRegex(@"^\s+at \S+\(", RegexOptions.Multiline)]
    private static partial Regex StackFrame();

    [GeneratedRegex("class=\"(field-validation-error|validation-summary-errors|flash [^\"]*)\"")]
    private static partial Regex Message();

    [Theory]
    [MemberData(nameof(Rows))]
    public async Task BadInputGetsA4xxOrAMessageAndChangesNothing(string row)
    {
        var request = Table[row];
        var site = fixture.Site;
        using var client = site.NewClient();
        var fields = request.Fields.Select(f => f.Value == FreshEmail ? KeyValuePair.Create(f.Key, $"new-{Guid.NewGuid():N}@example.com") : f).ToList();

        string? token = null;
        if (request.Token is Token.Valid or Token.Header or Token.OtherBrowser)
        {
            token = await client.GetTokenAsync(request.FormPage);
            Assert.False(string.IsNullOrEmpty(token), $"no antiforgery token on {request.FormPage}");
        }
        if (request.Token == Token.OtherBrowser)
        {
            using var other = site.NewClient();
            token = await other.GetTokenAsync(request.FormPage);
        }
        else if (request.Token == Token.Garbage)
        {
            await client.GetTokenAsync(request.FormPage);
            token = "CfDJ8NotARealAntiforgeryToken_" + new string('x', 100);
        }
        if (token is not null && request.Token != Token.Header)
        {
            fields.Add(KeyValuePair.Create("__RequestVerificationToken", token));
        }

        var before = await site.SnapshotAsync();
        using var message = new HttpRequestMessage(request.Method, new Uri(request.Target, UriKind.Relative));
        if (request.Token == Token.Header)
        {
            message.Headers.Add("RequestVerificationToken", token);
        }
        if (request.Method == HttpMethod.Post)
        {
            message.Content = Content(request.Body, fields);
        }
        using var response = await client.Http.SendAsync(message);
        var body = await response.Content.ReadAsStringAsync();
        var status = (int)response.StatusCode;
        var location = response.Headers.Location?.OriginalString;
        string Describe(string page) =>
            $"{request.Method} {request.Target} [{row}] answered {status}{(location is null ? "" : " -> " + location)}: {Excerpt(page)}";

        Assert.True(status < 500, Describe(body));
        Assert.DoesNotMatch(StackFrame(), body);
        Assert.DoesNotContain(Script, body, StringComparison.Ordinal);
        if (status >= 400)
        {
            Assert.DoesNotContain("Exception", body, StringComparison.Ordinal);
        }

        var answer = request.Answer;
        switch (status)
        {
            case >= 200 and < 300:
                Assert.True(answer.HasFlag(Answer.AnyPage) || (answer.HasFlag(Answer.Validation) && Message().IsMatch(body)),
                    "expected " + answer + "; " + Describe(body));
                break;
            case >= 300 and < 400:
                Assert.True(answer.HasFlag(Answer.Redirect) || answer.HasFlag(Answer.Created), "expected " + answer + "; " + Describe(body));
                Assert.NotNull(location);
                Assert.StartsWith("/", location, StringComparison.Ordinal);
                using (var next = await client.Http.GetAsync(new Uri(location, UriKind.Relative)))
                {
                    var page = await next.Content.ReadAsStringAsync();
                    Assert.True(next.IsSuccessStatusCode, "after the redirect: " + Describe(page));
                    Assert.DoesNotContain(Script, page, StringComparison.Ordinal);
                    if (request.Method == HttpMethod.Post)
                    {
                        Assert.True(page.Contains("class=\"flash ", StringComparison.Ordinal), "no flash after the redirect: " + Describe(page));
                    }
                }
                break;
            default:
                Assert.True(answer.HasFlag(Answer.ClientError), "expected " + answer + "; " + Describe(body));
                break;
        }

        var after = await site.SnapshotAsync();
        var (usersBefore, codesBefore, budgetsBefore) = Parts(before);
        var (usersAfter, codesAfter, budgetsAfter) = Parts(after);
        if (request.Allowed == Allowed.NewUser)
        {
            // A new account gets exactly one new code (its phone confirmation) and spends its own text budget.
            Assert.Equal(codesBefore.Count + 1, codesAfter.Count);
            Assert.All(codesBefore, c => Assert.Contains(c, codesAfter));
        }
        else
        {
            Assert.Equal(codesBefore, codesAfter);
        }
        if (request.Allowed is not (Allowed.Budget or Allowed.NewUser))
        {
            Assert.Equal(budgetsBefore, budgetsAfter);
        }
        if (request.Allowed == Allowed.NewUser)
        {
            Assert.Equal("/confirm-phone", location);
            Assert.Equal(usersBefore.Count + 1, usersAfter.Count);
            Assert.All(usersBefore, u => Assert.Contains(u, usersAfter));
            using var added = JsonDocument.Parse(usersAfter.Single(u => !usersBefore.Contains(u)));
            foreach (var (property, field) in new[] { ("Email", "Input.Email"), ("FirstName", "Input.FirstName"), ("LastName", "Input.LastName") })
            {
                Assert.Equal(fields.Single(f => f.Key == field).Value, added.RootElement.GetProperty(property).GetString());
            }
        }
        else
        {
            Assert.Equal(usersBefore, usersAfter);
        }
        // The seeded rows themselves, whatever the row was allowed to change.
        Assert.Equal(fixture.Seeded, usersAfter.Where(u => u.Contains(RealEmail, StringComparison.Ordinal) || u.Contains(LockedEmail, StringComparison.Ordinal)).ToList());
    }

    private static HttpContent Content(Body body, List<KeyValuePair<string, string>> fields)
    {
        switch (body)
        {
            case Body.Json:
                return new StringContent(JsonSerializer.Serialize(fields.ToDictionary(f => f.Key, f => f.Value)), Encoding.UTF8, "application/json");
            case Body.MultipartWithoutBoundary:
            {
                var multipart = Multipart(fields);
                multipart.Headers.ContentType = new MediaTypeHeaderValue("multipart/form-data");
                return multipart;
            }
            case Body.MultipartLabelledJson:
            {
                var multipart = Multipart(fields);
                multipart.Headers.ContentType = new MediaTypeHeaderValue("application/json");
                return multipart;
            }
            case Body.FormLabelledTextPlain:
            {
                var form = new FormUrlEncodedContent(fields);
                form.Headers.ContentType = new MediaTypeHeaderValue("text/plain");
                return form;
            }
            default:
                return new FormUrlEncodedContent(fields);
        }
    }

    private static MultipartFormDataContent Multipart(List<KeyValuePair<string, string>> fields)
    {
        var multipart = new MultipartFormDataContent();
        foreach (var (key, value) in fields)
        {
            multipart.Add(new StringContent(value), key);
        }
        return multipart;
    }

    private static (List<string> Users, List<string> Codes, List<string> Budgets) Parts(string snapshot)
    {
        using var document = JsonDocument.Parse(snapshot);
        List<string> Rows(string name) => document.RootElement.GetProperty(name).EnumerateArray().Select(e => e.GetRawText()).ToList();
        return (Rows("users"), Rows("codes"), Rows("budgets"));
    }

    private static string Excerpt(string html)
    {
        var start = html.IndexOf("<main", StringComparison.Ordinal);
        var text = start >= 0 ? html[start..] : html;
        return text.Length > 800 ? text[..800] + "..." : text;
    }

    /// <summary>The site, with one real user (and a live password-reset code) and one locked user (and a live unlock code).</summary>
    public sealed class SeededSite : IAsyncLifetime
    {
        public SiteFactory Site { get; private set; } = null!;

        /// <summary>The two seeded user rows as they were before the table ran.</summary>
        public IReadOnlyList<string> Seeded { get; private set; } = [];

        public async Task InitializeAsync()
        {
            Site = await SiteFactory.StartAsync();
            using var client = Site.NewClient();
            foreach (var email in new[] { RealEmail, LockedEmail })
            {
                var created = await client.SignUpAsync(email, Password);
                Assert.Equal(FormClient.AfterSignUp, created.Headers.Location?.OriginalString);
            }
            for (var i = 0; i < 3; i++)
            {
                Assert.Equal(HttpStatusCode.Redirect, (await client.LogInAsync(LockedEmail, "wrong password")).StatusCode);
            }
            var sent = await client.PostFormAsync("/reset-password", ("Input.Email", RealEmail));
            Assert.Equal(HttpStatusCode.Redirect, sent.StatusCode);

            var (users, codes, _) = Parts(await Site.SnapshotAsync());
            Assert.Equal(2, users.Count);
            Assert.Equal(2, codes.Count); // the unlock code and the password-reset code
            Assert.Contains(users, u => u.Contains(LockedEmail, StringComparison.Ordinal) && !u.Contains("\"LockoutEnd\":null", StringComparison.Ordinal));
            Seeded = users;
        }

        public async Task DisposeAsync() => await Site.DisposeAsync();
    }
}
