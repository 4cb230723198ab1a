using System.Security.Cryptography;
using System.Text;
using System.Xml.Linq;
using Microsoft.AspNetCore.DataProtection.XmlEncryption;
using Microsoft.Extensions.DependencyInjection;

namespace IdentityTwoFactor.Data.KeyRing;

/// <summary>Reads back what <see cref="KeyRingXmlEncryptor"/> wrote.</summary>
/// <remarks>Data Protection creates decryptors itself, from the type name stored with each key, through its activator:
/// the only constructor it calls with services is one taking <see cref="IServiceProvider"/>, so the key is looked up
/// here rather than injected.</remarks>
public sealed class KeyRingXmlDecryptor : IXmlDecryptor
{
    private readonly KeyEncryptionKey? _key;

    public KeyRingXmlDecryptor(IServiceProvider services)
    {
        ArgumentNullException.ThrowIfNull(services);
        _key = services.GetService<KeyEncryptionKey>();
    }

    public XElement Decrypt(XElement encryptedElement)
    {
        ArgumentNullException.ThrowIfNull(encryptedElement);
        if (_key is null)
        {
            throw new CryptographicException(
                "This Data Protection key was encrypted with a key-encryption key, and none is configured (DataProtection:KeyEncryptionKey or DataProtection:KeyEncryptionKeyFile).");
        }
        if (encryptedElement.Name != KeyRingXmlEncryptor.EncryptedElementName)
        {
            throw new CryptographicException($"Expected an {KeyRingXmlEncryptor.EncryptedElementName.LocalName} element.");
        }
        byte[] sealedData;
        try
        {
            sealedData = Convert.FromBase64String(encryptedElement.Value);
        }
        catch (FormatException e)
        {
            throw new CryptographicException("The encrypted Data Protection key is not base64.", e);
        }
        byte[] plaintext;
        try
        {
            plaintext = _key.Open(sealedData);
        }
        catch (CryptographicException e)
        {
            throw new CryptographicException(
                "This Data Protection key was encrypted with another key-encryption key than the one configured (or was altered).", e);
        }
        return XElement.Parse(Encoding.UTF8.GetString(plaintext));
    }
}
