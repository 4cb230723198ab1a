using System.Security.Cryptography;
using System.Text;

namespace IdentityTwoFactor.Data.KeyRing;

/// <summary>A base64 key in a file of its own, readable by the site's user only.</summary>
internal static class KeyFile
{
    /// <summary>Reads the key at <paramref name="path"/>, or creates it with fresh random bytes when there is none.</summary>
    /// <remarks>The key is written to a private temporary file first and then moved into place without overwriting, so
    /// two processes starting at once end up with one key and no reader ever sees a half-written file.</remarks>
    public static byte[]? ReadOrCreate(string path, int length, out bool created)
    {
        created = false;
        if (File.Exists(path))
        {
            return Read(path, length);
        }
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var key = RandomNumberGenerator.GetBytes(length);
        var temporary = $"{path}.{Guid.NewGuid():N}.tmp";
        try
        {
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
            if (!OperatingSystem.IsWindows())
            {
                // Owner-only from the first byte on disk, not chmod-ed after the fact.
                options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            }
            using (var stream = new FileStream(temporary, options))
            {
                stream.Write(Encoding.ASCII.GetBytes(Convert.ToBase64String(key)));
                stream.Flush(flushToDisk: true);
            }
            File.Move(temporary, path, overwrite: false);
            created = true;
            return key;
        }
        catch (IOException) when (File.Exists(path))
        {
            // Another process won the race: use its key.
            return Read(path, length);
        }
        finally
        {
            File.Delete(temporary);
        }
    }

    /// <summary>The key, or null when the file does not hold base64 of exactly <paramref name="length"/> bytes.</summary>
    public static byte[]? Read(string path, int length) => Decode(File.ReadAllText(path).Trim(), length);

    public static byte[]? Decode(string base64, int length)
    {
        try
        {
            var key = Convert.FromBase64String(base64);
            return key.Length == length ? key : null;
        }
        catch (FormatException)
        {
            return null;
        }
    }
}
