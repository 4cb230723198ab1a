using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;
using PhoneNumbers;

namespace IdentityTwoFactor.Identity;

/// <summary>Section <c>Phone</c>: how numbers typed without a country code are read, and which countries are texted.</summary>
public sealed class PhoneOptions : IValidatableObject
{
    public const string Section = "Phone";

    [RegularExpression("^[A-Z]{2}$", ErrorMessage = "Phone:DefaultRegion must be a two-letter ISO 3166 region code such as US.")]
    public string DefaultRegion { get; set; } = "US";

    /// <summary>The regions whose numbers signup and phone change accept: <c>*</c> for all, or a comma list such as
    /// <c>US,CA</c>. Empty: <see cref="DefaultRegion"/> only. SMS pumping favours expensive foreign destinations.</summary>
    public string? AllowedRegions { get; set; }

    /// <summary>The allowed regions, or null for every region.</summary>
    public IReadOnlyList<string>? AllowedRegionList() =>
        string.IsNullOrWhiteSpace(AllowedRegions) ? [DefaultRegion]
        : AllowedRegions.Trim() == "*" ? null
        : [.. AllowedRegions.Split(',').Select(r => r.Trim())];

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        // Only a list someone wrote is checked: loading libphonenumber's metadata costs start-up time the default
        // (DefaultRegion, already checked by its pattern) does not need.
        if (string.IsNullOrWhiteSpace(AllowedRegions))
        {
            yield break;
        }
        var supported = PhoneNumberUtil.GetInstance().GetSupportedRegions();
        var bad = AllowedRegionList()?.FirstOrDefault(r => !supported.Contains(r));
        if (bad is not null)
        {
            yield return new ValidationResult(
                $"Phone:AllowedRegions must be * or a comma-separated list of two-letter region codes such as US,CA (\"{bad}\" is not one).",
                [nameof(AllowedRegions)]);
        }
    }
}

/// <summary>Parses what a person typed into an E.164 mobile number with libphonenumber.</summary>
public sealed class PhoneNumberNormalizer(IOptions<PhoneOptions> options)
{
    private static readonly PhoneNumberUtil Util = PhoneNumberUtil.GetInstance();

    /// <summary>Whether <c>Phone:AllowedRegions</c> lets the site text this E.164 number.</summary>
    public bool IsAllowedRegion(string e164)
    {
        var allowed = options.Value.AllowedRegionList();
        return allowed is null || allowed.Contains(Util.GetRegionCodeForNumber(Util.Parse(e164, null)), StringComparer.Ordinal);
    }

    /// <summary>The form's sentence for a number from another region, naming the allowed ones.</summary>
    public string NotAllowedRegionMessage()
    {
        var allowed = options.Value.AllowedRegionList() ?? [];
        var list = allowed.Count <= 1 ? string.Join("", allowed) : string.Join(", ", allowed.Take(allowed.Count - 1)) + " and " + allowed[^1];
        return $"We can text only mobile numbers from {list}.";
    }

    /// <summary>The E.164 form, or null when the input is not a valid number that can receive texts.</summary>
    public string? ToE164(string? input)
    {
        if (string.IsNullOrWhiteSpace(input) || input.Length > 40)
        {
            return null;
        }
        try
        {
            var number = Util.Parse(input, options.Value.DefaultRegion);
            if (!Util.IsValidNumber(number))
            {
                return null;
            }
            var type = Util.GetNumberType(number);
            if (type is not (PhoneNumberType.MOBILE or PhoneNumberType.FIXED_LINE_OR_MOBILE))
            {
                return null;
            }
            return Util.Format(number, PhoneNumberFormat.E164);
        }
        catch (NumberParseException)
        {
            return null;
        }
    }
}
