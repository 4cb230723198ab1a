using System.Text;
using System.Xml.Linq;
using Microsoft.AspNetCore.DataProtection.XmlEncryption;

namespace IdentityTwoFactor.Data.KeyRing;

/// <summary>Encrypts the secret part of each new Data Protection key with the <see cref="KeyEncryptionKey"/>.</summary>
public sealed class KeyRingXmlEncryptor(KeyEncryptionKey key) : IXmlEncryptor
{
    internal static readonly XNamespace Namespace = "urn:identitytwofactor:keyring:v1";
    internal static readonly XName EncryptedElementName = Namespace + "encryptedKey";

    public EncryptedXmlInfo Encrypt(XElement plaintextElement)
    {
        ArgumentNullException.ThrowIfNull(plaintextElement);
        var plaintext = Encoding.UTF8.GetBytes(plaintextElement.ToString(SaveOptions.DisableFormatting));
        var element = new XElement(EncryptedElementName,
            new XAttribute("algorithm", "AES-256-GCM"),
            Convert.ToBase64String(key.Seal(plaintext)));
        // Data Protection stores the decryptor's type name beside the element and activates it to read the key back.
        return new EncryptedXmlInfo(element, typeof(KeyRingXmlDecryptor));
    }
}
