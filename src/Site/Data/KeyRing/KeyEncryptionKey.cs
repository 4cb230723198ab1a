using System.Security.Cryptography;

namespace IdentityTwoFactor.Data.KeyRing;

/// <summary>
/// The 32-byte key that wraps every Data Protection key before it reaches the database (AES-256-GCM, a random
/// 96-bit nonce per entry). It lives outside the database, so a copy of the database alone reveals no key.
/// </summary>
public sealed class KeyEncryptionKey
{
    public const int Length = 32;
    private const int NonceLength = 12;
    private const int TagLength = 16;

    // Binds each sealed entry to this use: a ciphertext made by the same key for another purpose does not open here.
    private static readonly byte[] AssociatedData = "IdentityTwoFactor.KeyRing.v1"u8.ToArray();

    private readonly byte[] _key;

    public KeyEncryptionKey(byte[] key)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (key.Length != Length)
        {
            throw new ArgumentException($"A key-encryption key is exactly {Length} bytes.", nameof(key));
        }
        _key = (byte[])key.Clone();
    }

    /// <summary>nonce || tag || ciphertext.</summary>
    public byte[] Seal(ReadOnlySpan<byte> plaintext)
    {
        var sealedData = new byte[NonceLength + TagLength + plaintext.Length];
        var nonce = sealedData.AsSpan(0, NonceLength);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(_key, TagLength);
        aes.Encrypt(nonce, plaintext, sealedData.AsSpan(NonceLength + TagLength), sealedData.AsSpan(NonceLength, TagLength), AssociatedData);
        return sealedData;
    }

    /// <exception cref="CryptographicException">The entry was sealed under another key, or changed.</exception>
    public byte[] Open(ReadOnlySpan<byte> sealedData)
    {
        if (sealedData.Length < NonceLength + TagLength)
        {
            throw new CryptographicException("The encrypted key ring entry is truncated.");
        }
        var plaintext = new byte[sealedData.Length - NonceLength - TagLength];
        using var aes = new AesGcm(_key, TagLength);
        aes.Decrypt(sealedData[..NonceLength], sealedData[(NonceLength + TagLength)..], sealedData.Slice(NonceLength, TagLength), plaintext, AssociatedData);
        return plaintext;
    }
}
