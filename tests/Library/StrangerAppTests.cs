using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace IdentityTwoFactor.Tests.Library;

/// <summary>
/// The packed NuGet package in a stranger's app: the stock <c>dotnet new webapp --auth Individual</c> template (SQLite,
/// the stock Identity UI) generated in a temp folder outside the repo, the package added from a local folder feed, the
/// template patched with the lines the README asks for, a migration of the app's own made with dotnet-ef, and the app
/// driven over a real socket through the stock Identity pages.
/// </summary>
public sealed partial class StrangerAppTests
{
    private const string Email = "stranger@example.com";
    private const string Password = "Stranger-Pass-1!";
    private const string Phone = "+16505550199";
    private const string PackageId = "IdentityTwoFactor";
    /// <summary>The only version of Microsoft.AspNetCore.* / EntityFrameworkCore.* this machine has (the repo's too).</summary>
    private const string AspNetCoreVersion = "10.0.15";

    private static readonly TimeSpan CommandTimeout = TimeSpan.FromMinutes(4);
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task TheStockTemplateAppLocksAfterThreeWrongPasswordsTextsOneCodeAndUnlocksWithIt()
    {
        var repo = FindRepoRoot();
        var folder = Directory.CreateTempSubdirectory("itf-stranger-").FullName;
        Assert.False(IsUnder(folder, repo), $"The temp folder {folder} must be outside the repo {repo}.");
        // A version no earlier run used, so the global NuGet cache cannot hand back an older build of the library.
        var version = string.Create(CultureInfo.InvariantCulture, $"0.1.0-stranger.{DateTime.UtcNow.Ticks}");
        var app = Path.Combine(folder, "StrangerApp");
        var log = new StringBuilder();
        AppProcess? running = null;
        try
        {
            try
            {
                CreateApp(repo, folder, app, version, log);
            }
            catch (Exception e)
            {
                throw new InvalidOperationException($"Setting up the stranger's app failed: {e.Message}\n--- commands run ---\n{log}", e);
            }
            running = AppProcess.Start(app, Tools.FreePort());
            try
            {
                await running.WaitUntilReadyAsync(StartTimeout);
                await DriveAsync(running.BaseAddress);
            }
            catch (Exception e)
            {
                throw new InvalidOperationException($"{e.Message}\n--- the app's output ---\n{running.Output}", e);
            }
        }
        finally
        {
            running?.Dispose();
            TryDelete(folder);
            TryDelete(Path.Combine(GlobalPackagesFolder(), PackageId.ToLowerInvariant(), version));
        }
    }

    /// <summary>Generates the template app, packs the library into a folder feed, adds it, patches the template and
    /// adds the app's migration for the library's tables; then builds.</summary>
    private static void CreateApp(string repo, string folder, string app, string version, StringBuilder log)
    {
        var feed = Path.Combine(folder, "feed");
        Run(log, folder, Dotnet, "new", "webapp", "--auth", "Individual", "--name", "StrangerApp", "--output", app, "--no-restore");
        Run(log, repo, Dotnet, "pack", Path.Combine(repo, "src", "IdentityTwoFactor"), "-c", "Release", "-o", feed,
            // Its own obj and bin: the repo's may be in use by a build running at the same time.
            "--artifacts-path", Path.Combine(folder, "artifacts"), $"-p:Version={version}",
            "-nologo", "-v", "q", "-clp:NoSummary");
        Assert.True(File.Exists(Path.Combine(feed, $"{PackageId}.{version}.nupkg")), $"dotnet pack did not write {PackageId}.{version}.nupkg to {feed}.");

        // The folder feed next to the user's own sources (nuget.org for the template's packages and dotnet-ef).
        File.WriteAllText(Path.Combine(app, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <add key="stranger-local" value="{feed}" />
              </packageSources>
            </configuration>
            """);
        var project = Path.Combine(app, "StrangerApp.csproj");
        var pinned = PinnedVersion().Replace(File.ReadAllText(project), "${1}" + AspNetCoreVersion);
        File.WriteAllText(project, pinned);
        Run(log, app, Dotnet, "add", "package", PackageId, "--version", version);

        Patch(Path.Combine(app, "Data", "ApplicationDbContext.cs"),
            ("using Microsoft.EntityFrameworkCore;", "using IdentityTwoFactor.Stores;\nusing Microsoft.EntityFrameworkCore;"),
            ("IdentityDbContext(options)\n{\n}", """
                IdentityDbContext(options)
                {
                    protected override void OnModelCreating(ModelBuilder builder)
                    {
                        base.OnModelCreating(builder);
                        builder.AddSmsTwoFactor();
                    }
                }
                """));
        Patch(Path.Combine(app, "Program.cs"),
            ("using Microsoft.AspNetCore.Identity;", """
                using System.Collections.Concurrent;
                using System.Security.Claims;
                using IdentityTwoFactor;
                using IdentityTwoFactor.Lockout;
                using IdentityTwoFactor.Sms;
                using Microsoft.AspNetCore.Identity;
                """),
            ("options => options.SignIn.RequireConfirmedAccount = true)",
                "options => { options.SignIn.RequireConfirmedAccount = true; options.Lockout.MaxFailedAccessAttempts = 3; })"),
            (".AddEntityFrameworkStores<ApplicationDbContext>();", """
                .AddEntityFrameworkStores<ApplicationDbContext>()
                    .AddSmsTwoFactor(o => { o.UseSignInManager = true; o.RequireConfirmedPhone = false; });
                builder.Services.AddSingleton<RecordingSmsSender>();
                builder.Services.AddSingleton<ISmsSender>(sp => sp.GetRequiredService<RecordingSmsSender>());
                """),
            ("var app = builder.Build();", """
                var app = builder.Build();

                using (var scope = app.Services.CreateScope())
                {
                    scope.ServiceProvider.GetRequiredService<ApplicationDbContext>().Database.Migrate();
                }
                """),
            ("app.Run();", """
                app.MapGet("/test/texts", (RecordingSmsSender sms) => Results.Json(sms.Texts.Select(t => new { to = t.To, text = t.Text })));
                app.MapPost("/test/unlock", async (HttpRequest request, UserManager<IdentityUser> users, SmsUnlockService<IdentityUser> unlock) =>
                {
                    var form = await request.ReadFormAsync();
                    var user = await users.FindByEmailAsync(form["email"].ToString());
                    return user is null ? Results.NotFound() : Results.Text((await unlock.UnlockAsync(user, form["code"].ToString())).ToString());
                }).DisableAntiforgery();
                app.MapPost("/test/claims", async (HttpRequest request, UserManager<IdentityUser> users) =>
                {
                    var form = await request.ReadFormAsync();
                    var email = form["email"].ToString();
                    var user = email.Length > 0 ? await users.FindByEmailAsync(email) : await users.GetUserAsync(request.HttpContext.User);
                    if (user is null)
                    {
                        return Results.NotFound();
                    }
                    var added = await users.AddClaimAsync(user, new Claim("stranger-test", "yes"));
                    return added.Succeeded
                        ? Results.Text((await users.GetClaimsAsync(user)).Count.ToString())
                        : Results.Problem(string.Join("; ", added.Errors.Select(e => e.Description)));
                }).DisableAntiforgery();

                app.Run();

                sealed class RecordingSmsSender : ISmsSender
                {
                    public ConcurrentQueue<(string To, string Text)> Texts { get; } = new();

                    public Task<SmsSendResult> SendAsync(string toE164, string text, CancellationToken cancellationToken = default)
                    {
                        Texts.Enqueue((toE164, text));
                        return Task.FromResult(SmsSendResult.Sent("id"));
                    }
                }
                """));

        // dotnet-ef as a local tool of the app, at the version of the app's EF packages.
        Run(log, app, Dotnet, "new", "tool-manifest");
        Run(log, app, Dotnet, "tool", "install", "dotnet-ef", "--version", AspNetCoreVersion);
        Run(log, app, Dotnet, "ef", "migrations", "add", "SmsTwoFactor");
        var migration = Directory.GetFiles(Path.Combine(app, "Data", "Migrations"), "*_SmsTwoFactor.cs").SingleOrDefault()
            ?? throw new InvalidOperationException("dotnet ef migrations add SmsTwoFactor wrote no migration.");
        var up = File.ReadAllText(migration);
        Assert.Contains("\"SmsTwoFactorCodes\"", up, StringComparison.Ordinal);
        Assert.Contains("\"SmsTwoFactorBudgets\"", up, StringComparison.Ordinal);
        Run(log, app, Dotnet, "build", "-nologo", "-v", "q", "-clp:NoSummary");
    }

    /// <summary>The story, through the stock Identity UI pages and the app's three test endpoints.</summary>
    private static async Task DriveAsync(Uri baseAddress)
    {
        using var handler = new HttpClientHandler { AllowAutoRedirect = false, CookieContainer = new CookieContainer(), UseCookies = true };
        using var http = new HttpClient(handler) { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(60) };

        // Register; the template requires a confirmed account, and with no email sender the confirmation page links it.
        using (var registered = await PostFormAsync(http, "/Identity/Account/Register",
                   ("Input.Email", Email), ("Input.Password", Password), ("Input.ConfirmPassword", Password)))
        {
            await ExpectRedirectAsync(registered, "/Identity/Account/RegisterConfirmation", "register");
            var confirmation = await GetPageAsync(http, registered.Headers.Location!.OriginalString);
            var link = ConfirmLink().Match(confirmation);
            Assert.True(link.Success, $"The RegisterConfirmation page shows no confirmation link:\n{confirmation}");
            var confirmed = await GetPageAsync(http, WebUtility.HtmlDecode(link.Groups[1].Value));
            Assert.Contains("Thank you for confirming your email", confirmed, StringComparison.Ordinal);
        }

        // Sign in, set a phone number on the stock Manage page, sign out.
        using (var signedIn = await LoginAsync(http, Password))
        {
            await ExpectRedirectAsync(signedIn, "/", "sign in after confirming");
        }
        using (var phoneSet = await PostFormAsync(http, "/Identity/Account/Manage", ("Input.PhoneNumber", Phone)))
        {
            await ExpectRedirectAsync(phoneSet, "/Identity/Account/Manage", "set the phone number");
        }
        var profile = WebUtility.HtmlDecode(await GetPageAsync(http, "/Identity/Account/Manage"));
        Assert.Contains("Your profile has been updated", profile, StringComparison.Ordinal);
        Assert.Contains($"value=\"{Phone}\"", profile, StringComparison.Ordinal);
        using (var loggedOut = await PostFormFromAsync(http, "/Identity/Account/Logout", "/Identity/Account/Manage"))
        {
            Assert.True((int)loggedOut.StatusCode is 200 or 302, $"Logout answered {(int)loggedOut.StatusCode}.");
        }
        using (var manage = await http.GetAsync(new Uri("/Identity/Account/Manage", UriKind.Relative)))
        {
            await ExpectRedirectAsync(manage, "/Identity/Account/Login", "the Manage page after signing out");
        }
        Assert.Empty(await TextsAsync(http));

        // Three wrong passwords at the stock login page (which passes lockoutOnFailure: false): the third locks.
        for (var i = 1; i <= 2; i++)
        {
            using var wrong = await LoginAsync(http, $"Wrong-Pass-{i}!");
            var page = await wrong.Content.ReadAsStringAsync();
            Assert.True(wrong.StatusCode == HttpStatusCode.OK && page.Contains("Invalid login attempt", StringComparison.Ordinal),
                $"Wrong password {i} answered {(int)wrong.StatusCode} {wrong.Headers.Location}, not the login page with \"Invalid login attempt\".");
        }
        using (var third = await LoginAsync(http, "Wrong-Pass-3!"))
        {
            await ExpectRedirectAsync(third, "/Identity/Account/Lockout", "the third wrong password");
        }
        var texts = await TextsAsync(http);
        var text = Assert.Single(texts);
        Assert.Equal(Phone, text.To);
        var code = SixDigits().Match(text.Text);
        Assert.True(code.Success, $"The text has no 6-digit code: {text.Text}");

        // Locked: the right password does not sign in, and no second text goes.
        using (var locked = await LoginAsync(http, Password))
        {
            await ExpectRedirectAsync(locked, "/Identity/Account/Lockout", "the right password on a locked account");
        }
        using (var manage = await http.GetAsync(new Uri("/Identity/Account/Manage", UriKind.Relative)))
        {
            await ExpectRedirectAsync(manage, "/Identity/Account/Login", "the Manage page while locked");
        }
        Assert.Single(await TextsAsync(http));

        // The texted code unlocks; then the right password signs in.
        using (var unlock = await http.PostAsync(new Uri("/test/unlock", UriKind.Relative),
                   new FormUrlEncodedContent([new("email", Email), new("code", code.Value)])))
        {
            var body = await unlock.Content.ReadAsStringAsync();
            Assert.True(unlock.StatusCode == HttpStatusCode.OK && body == "Unlocked", $"POST /test/unlock answered {(int)unlock.StatusCode}: {body}");
        }
        using (var signedIn = await LoginAsync(http, Password))
        {
            await ExpectRedirectAsync(signedIn, "/", "the right password after unlocking");
        }

        // Identity's own features still work on the library's store: the authenticator key and claims.
        var authenticator = await GetPageAsync(http, "/Identity/Account/Manage/EnableAuthenticator");
        var key = SharedKey().Match(authenticator);
        Assert.True(key.Success, $"The EnableAuthenticator page shows no shared key:\n{authenticator}");
        using (var claims = await http.PostAsync(new Uri("/test/claims", UriKind.Relative), new FormUrlEncodedContent([])))
        {
            var body = await claims.Content.ReadAsStringAsync();
            Assert.True(claims.StatusCode == HttpStatusCode.OK && body == "1", $"POST /test/claims answered {(int)claims.StatusCode}: {body}");
        }
        Assert.Single(await TextsAsync(http));
    }

    private static Task<HttpResponseMessage> LoginAsync(HttpClient http, string password) =>
        PostFormAsync(http, "/Identity/Account/Login", ("Input.Email", Email), ("Input.Password", password), ("Input.RememberMe", "false"));

    /// <summary>GETs the page, then posts its form with the antiforgery token it rendered.</summary>
    private static Task<HttpResponseMessage> PostFormAsync(HttpClient http, string path, params (string Name, string Value)[] fields) =>
        PostFormFromAsync(http, path, path, fields);

    /// <summary>GETs <paramref name="formPage"/> for an antiforgery token, then posts <paramref name="fields"/> to <paramref name="path"/>.</summary>
    private static async Task<HttpResponseMessage> PostFormFromAsync(HttpClient http, string path, string formPage, params (string Name, string Value)[] fields)
    {
        var page = await GetPageAsync(http, formPage);
        var token = AntiforgeryToken().Match(page);
        Assert.True(token.Success, $"GET {formPage} rendered no __RequestVerificationToken:\n{page}");
        var form = fields.Select(f => new KeyValuePair<string, string>(f.Name, f.Value))
            .Append(new("__RequestVerificationToken", WebUtility.HtmlDecode(token.Groups[1].Value)));
        return await http.PostAsync(new Uri(path, UriKind.Relative), new FormUrlEncodedContent(form));
    }

    private static async Task<string> GetPageAsync(HttpClient http, string pathOrUrl)
    {
        using var response = await http.GetAsync(new Uri(pathOrUrl, UriKind.RelativeOrAbsolute));
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET {pathOrUrl} answered {(int)response.StatusCode} {response.Headers.Location}:\n{body}");
        return body;
    }

    private static async Task ExpectRedirectAsync(HttpResponseMessage response, string path, string what)
    {
        var location = response.Headers.Location?.OriginalString ?? "";
        var target = location.Split('?')[0];
        if (Uri.TryCreate(target, UriKind.Absolute, out var absolute) && absolute.Scheme.StartsWith("http", StringComparison.Ordinal))
        {
            target = absolute.AbsolutePath;
        }
        if (response.StatusCode != HttpStatusCode.Redirect || !string.Equals(target, path, StringComparison.OrdinalIgnoreCase))
        {
            var body = await response.Content.ReadAsStringAsync();
            var errors = string.Join(" | ", ValidationErrors().Matches(body).Select(m => WebUtility.HtmlDecode(m.Groups[1].Value.Trim())));
            Assert.Fail($"{what}: expected a redirect to {path}, got {(int)response.StatusCode} {location} (page errors: {errors}).");
        }
    }

    private static async Task<List<(string To, string Text)>> TextsAsync(HttpClient http)
    {
        var json = await GetPageAsync(http, "/test/texts");
        using var document = JsonDocument.Parse(json);
        return document.RootElement.EnumerateArray()
            .Select(t => (t.GetProperty("to").GetString() ?? "", t.GetProperty("text").GetString() ?? ""))
            .ToList();
    }

    /// <summary>Replaces each anchor once; an anchor the template no longer has fails the test with the file's text.</summary>
    private static void Patch(string file, params (string Anchor, string Replacement)[] edits)
    {
        // The template writes \n line ends (and a BOM on some files); the raw strings here use \n too.
        var text = File.ReadAllText(file).Replace("\r\n", "\n", StringComparison.Ordinal);
        foreach (var (anchor, replacement) in edits)
        {
            var at = text.IndexOf(anchor, StringComparison.Ordinal);
            if (at < 0)
            {
                throw new InvalidOperationException($"The template's {Path.GetFileName(file)} no longer contains \"{anchor}\":\n{text}");
            }
            text = string.Concat(text.AsSpan(0, at), replacement.Replace("\r\n", "\n", StringComparison.Ordinal), text.AsSpan(at + anchor.Length));
        }
        File.WriteAllText(file, text);
    }

    /// <summary>Runs a command in <paramref name="directory"/>; throws with its output when it fails or hangs.</summary>
    private static void Run(StringBuilder log, string directory, string file, params string[] arguments)
    {
        var start = new ProcessStartInfo(file)
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        ScrubEnvironment(start);
        var command = $"{file} {string.Join(' ', arguments)}";
        var clock = Stopwatch.StartNew();
        log.Append(CultureInfo.InvariantCulture, $"$ {command}  (in {directory})");
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {command}.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(CommandTimeout))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            log.AppendLine(": timed out");
            throw new TimeoutException($"{command} (in {directory}) did not finish in {CommandTimeout.TotalSeconds:0} s:\n{stderr.Result}{stdout.Result}");
        }
        process.WaitForExit();
        log.AppendLine(CultureInfo.InvariantCulture, $": exit {process.ExitCode} after {clock.Elapsed.TotalSeconds:0.0} s");
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{command} (in {directory}) failed with exit code {process.ExitCode}:\n{stderr.Result}{stdout.Result}");
        }
    }

    /// <summary>The test host runs under dotnet test, whose MSBuild settings must not leak into the stranger's builds.</summary>
    private static void ScrubEnvironment(ProcessStartInfo start)
    {
        foreach (var key in start.Environment.Keys.Where(k =>
                     k.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase) || k.StartsWith("ASPNETCORE_", StringComparison.OrdinalIgnoreCase)
                     || k.Equals("DOTNET_ENVIRONMENT", StringComparison.OrdinalIgnoreCase)).ToList())
        {
            start.Environment.Remove(key);
        }
    }

    /// <summary>The dotnet host running these tests (the SDK's <c>dotnet test</c> sets DOTNET_HOST_PATH), else the one on PATH.</summary>
    private static string Dotnet { get; } =
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";

    private static string GlobalPackagesFolder() =>
        Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } configured
            ? configured
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "IdentityTwoFactor.sln")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException($"No IdentityTwoFactor.sln above {AppContext.BaseDirectory}.");
    }

    private static bool IsUnder(string path, string root)
    {
        var relative = Path.GetRelativePath(root, path);
        return relative != ".." && !relative.StartsWith("../", StringComparison.Ordinal) && !Path.IsPathRooted(relative);
    }

    private static void TryDelete(string directory)
    {
        try
        {
            if (Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true);
            }
        }
        catch (IOException)
        {
            // Best effort: a temp folder left behind does no harm.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    [GeneratedRegex("""(Include="Microsoft\.[A-Za-z.]+" Version=")[^"]+""")]
    private static partial Regex PinnedVersion();

    [GeneratedRegex("""name="__RequestVerificationToken" type="hidden" value="([^"]+)""")]
    private static partial Regex AntiforgeryToken();

    [GeneratedRegex("""id="confirm-link" href="([^"]+)""")]
    private static partial Regex ConfirmLink();

    [GeneratedRegex(@"\b\d{6}\b")]
    private static partial Regex SixDigits();

    /// <summary>The stock EnableAuthenticator page shows the key in a kbd element, in groups of four base32 letters.</summary>
    [GeneratedRegex("<kbd>([a-z2-7]{4}(?: [a-z2-7]{1,4})+)</kbd>")]
    private static partial Regex SharedKey();

    [GeneratedRegex("""<(?:li|span[^>]*field-validation-error[^>]*)>([^<]+)<""")]
    private static partial Regex ValidationErrors();

    /// <summary>The app as a child process (<c>dotnet bin/Debug/net10.0/StrangerApp.dll</c>), its output kept for failures.</summary>
    private sealed class AppProcess : IDisposable
    {
        private readonly Process _process;
        private readonly StringBuilder _output = new();

        private AppProcess(Process process, Uri baseAddress) => (_process, BaseAddress) = (process, baseAddress);

        public Uri BaseAddress { get; }

        public string Output
        {
            get
            {
                lock (_output)
                {
                    return _output.ToString();
                }
            }
        }

        public static AppProcess Start(string folder, int port)
        {
            var start = new ProcessStartInfo(Dotnet)
            {
                WorkingDirectory = folder,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            start.ArgumentList.Add(Path.Combine("bin", "Debug", "net10.0", "StrangerApp.dll"));
            ScrubEnvironment(start);
            start.Environment["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}";
            start.Environment["ASPNETCORE_ENVIRONMENT"] = "Development";
            // Every SQL command at Information would bury what matters in the output shown on failure.
            start.Environment["Logging__LogLevel__Microsoft.EntityFrameworkCore.Database.Command"] = "Warning";
            var process = new Process { StartInfo = start };
            var app = new AppProcess(process, new Uri($"http://127.0.0.1:{port}"));
            process.OutputDataReceived += (_, e) => app.Append(e.Data);
            process.ErrorDataReceived += (_, e) => app.Append(e.Data);
            process.Start();
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            return app;
        }

        public async Task WaitUntilReadyAsync(TimeSpan timeout)
        {
            using var http = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(10) };
            var clock = Stopwatch.StartNew();
            var last = "no answer yet";
            while (clock.Elapsed < timeout)
            {
                if (_process.HasExited)
                {
                    _process.WaitForExit();
                    throw new InvalidOperationException($"The app exited with code {_process.ExitCode} before answering.");
                }
                try
                {
                    using var response = await http.GetAsync(new Uri("/Identity/Account/Login", UriKind.Relative));
                    if (response.StatusCode == HttpStatusCode.OK)
                    {
                        return;
                    }
                    last = $"GET /Identity/Account/Login answered {(int)response.StatusCode}";
                }
                catch (HttpRequestException e)
                {
                    last = e.Message;
                }
                catch (TaskCanceledException e)
                {
                    last = e.Message;
                }
                await Task.Delay(200);
            }
            throw new TimeoutException($"The app did not answer within {timeout.TotalSeconds:0} s ({last}).");
        }

        public void Dispose()
        {
            Tools.Kill(_process);
            _process.Dispose();
        }

        private void Append(string? line)
        {
            if (line is null)
            {
                return;
            }
            lock (_output)
            {
                _output.AppendLine(line);
            }
        }
    }
}
