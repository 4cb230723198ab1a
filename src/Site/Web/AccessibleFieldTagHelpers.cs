using Microsoft.AspNetCore.Mvc.ModelBinding;
using Microsoft.AspNetCore.Mvc.Rendering;
using Microsoft.AspNetCore.Mvc.ViewFeatures;
using Microsoft.AspNetCore.Razor.TagHelpers;

namespace IdentityTwoFactor.Web;

/// <summary>
/// Without JavaScript the server must do what client validation scripts usually do: link each input to its error
/// message (<c>aria-describedby</c>, <c>aria-invalid</c>) and put the focus on the first field with an error.
/// </summary>
[HtmlTargetElement("input", Attributes = "asp-for")]
[HtmlTargetElement("textarea", Attributes = "asp-for")]
public sealed class AccessibleInputTagHelper : TagHelper
{
    private const string FocusGivenKey = "AccessibleInput.FocusGiven";

    [HtmlAttributeName("asp-for")]
    public ModelExpression For { get; set; } = default!;

    [ViewContext]
    [HtmlAttributeNotBound]
    public ViewContext ViewContext { get; set; } = default!;

    // After the built-in input tag helper, so the id it generates is known.
    public override int Order => 100;

    public override void Process(TagHelperContext context, TagHelperOutput output)
    {
        var name = ViewContext.ViewData.TemplateInfo.GetFullHtmlFieldName(For.Name);
        if (!ViewContext.ViewData.ModelState.TryGetValue(name, out var entry) || entry.ValidationState != ModelValidationState.Invalid)
        {
            return;
        }
        var id = TagBuilder.CreateSanitizedId(name, "_");
        output.Attributes.SetAttribute("aria-invalid", "true");
        output.Attributes.SetAttribute("aria-describedby", id + "-error");
        var items = ViewContext.HttpContext.Items;
        if (!items.ContainsKey(FocusGivenKey))
        {
            items[FocusGivenKey] = true;
            output.Attributes.SetAttribute("autofocus", "autofocus");
        }
    }
}

/// <summary>Gives each field's error message the id that its input's <c>aria-describedby</c> points at.</summary>
[HtmlTargetElement("span", Attributes = "asp-validation-for")]
public sealed class ValidationMessageIdTagHelper : TagHelper
{
    [HtmlAttributeName("asp-validation-for")]
    public ModelExpression For { get; set; } = default!;

    [ViewContext]
    [HtmlAttributeNotBound]
    public ViewContext ViewContext { get; set; } = default!;

    public override int Order => 100;

    public override void Process(TagHelperContext context, TagHelperOutput output)
    {
        var name = ViewContext.ViewData.TemplateInfo.GetFullHtmlFieldName(For.Name);
        output.Attributes.SetAttribute("id", TagBuilder.CreateSanitizedId(name, "_") + "-error");
    }
}
