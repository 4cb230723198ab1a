namespace IdentityTwoFactor.Data.KeyRing;

/// <summary>Key ring log lines. Keys and passwords never arrive here; only where the protection comes from.</summary>
internal static partial class KeyRingLog
{
    [LoggerMessage(4000, LogLevel.Information, "The Data Protection key ring is stored in the database encrypted with {Protection}")]
    public static partial void Encrypted(ILogger logger, string protection);

    [LoggerMessage(4001, LogLevel.Warning, "Generated a new key-encryption key in {Path}: back it up apart from the database; losing it signs everyone out")]
    public static partial void GeneratedKeyFile(ILogger logger, string path);

    [LoggerMessage(4002, LogLevel.Warning, "Removed {Count} Data Protection key(s) stored unencrypted by an earlier version; people signed in with them sign in again")]
    public static partial void RemovedUnencryptedKeys(ILogger logger, int count);

    [LoggerMessage(4003, LogLevel.Warning, "Could not check the stored key ring for unencrypted keys ({Error}); the database does not answer or is not migrated yet")]
    public static partial void CouldNotCheck(ILogger logger, string error);
}
