using System.Text.Json;
using Microsoft.Playwright;

namespace IdentityTwoFactor.Tests.E2E.Infrastructure;

/// <summary>Whether a page fits a phone: nothing wider than the viewport, so no sideways scrolling.</summary>
/// <remarks>
/// Measured with <see cref="IPage.EvaluateAsync{T}(string, object?)"/>: JavaScript being off stops the page's own scripts,
/// not Playwright's evaluation (it runs through the DevTools protocol in a world of its own), which was checked with a
/// 500 px wide div in a 360 px viewport: <c>scrollWidth</c> said 500, and so did the width of a full-page screenshot.
/// </remarks>
public static class PageWidth
{
    /// <summary>The document's scroll width, the viewport's width, and what sticks out past the right edge (for the message).</summary>
    private const string Measure = """
        () => {
            const root = document.documentElement;
            const limit = root.clientWidth;
            const describe = e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + (e.className && typeof e.className === 'string' ? '.' + e.className.trim().split(/\s+/).join('.') : '');
            const wide = [...document.body.querySelectorAll('*')]
                .filter(e => e.getBoundingClientRect().right > limit + 0.5)
                .slice(0, 5)
                .map(e => describe(e) + ' right=' + Math.round(e.getBoundingClientRect().right));
            return { scrollWidth: root.scrollWidth, clientWidth: limit, wide: wide.join(', ') };
        }
        """;

    /// <summary>Asserts the page as it is now (no reload: flash messages stay) scrolls no sideways.</summary>
    public static async Task ExpectFitsAsync(IPage page, string what)
    {
        var size = await page.EvaluateAsync<JsonElement>(Measure);
        var scrollWidth = size.GetProperty("scrollWidth").GetInt32();
        var clientWidth = size.GetProperty("clientWidth").GetInt32();
        Assert.True(clientWidth > 0, $"{what}: the viewport has no width.");
        Assert.True(scrollWidth <= clientWidth,
            $"{what} ({page.Url}) is {scrollWidth} px wide in a {clientWidth} px viewport; too wide: {size.GetProperty("wide").GetString()}");
    }
}
