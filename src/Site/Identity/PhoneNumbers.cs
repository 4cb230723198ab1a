using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;
using PhoneNumbers;

namespace IdentityTwoFactor.Identity;

/// <summary>Section <c>Phone</c>: how numbers typed without a country code are read.</summary>
public sealed class PhoneOptions
{
    public const string Section = "Phone";

    [RegularExpression("^[A-Z]{2}$", ErrorMessage = "Phone:DefaultRegion must be a two-letter ISO 3166 region code such as US.")]
    public string DefaultRegion { get; set; } = "US";
}

/// <summary>Parses what a person typed into an E.164 mobile number with libphonenumber.</summary>
public sealed class PhoneNumberNormalizer(IOptions<PhoneOptions> options)
{
    private static readonly PhoneNumberUtil Util = PhoneNumberUtil.GetInstance();

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
