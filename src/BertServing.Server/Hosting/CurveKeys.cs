using NetMQ;

namespace BertServing.Server.Hosting;

/// <summary>The server's CurveZMQ key pair on disk: the secret key in Z85 in one file, the public key beside it.</summary>
public static class CurveKeys
{
    /// <summary>Writes a new pair to <paramref name="secretFile"/> and <c>.pub</c>; returns the public key.</summary>
    public static string Generate(string secretFile)
    {
        // Never over an existing key: every client holding its public key would be locked out without a word.
        if (File.Exists(secretFile))
            throw new IOException($"{secretFile} already exists; delete it first if you mean to replace it (clients holding its public key lose access), or choose another path");
        var certificate = new NetMQCertificate();
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(secretFile))!);
        // Created owner-only, so the secret is never readable by others, not even between creation and a chmod.
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        using (var secret = new StreamWriter(secretFile, options))
            secret.WriteLine(certificate.SecretKeyZ85);
        File.WriteAllText(secretFile + ".pub", certificate.PublicKeyZ85 + Environment.NewLine);
        return certificate.PublicKeyZ85;
    }

    /// <summary>The pair from <paramref name="secretFile"/>, or null when none is given; <see cref="StartupException"/> when unusable.</summary>
    public static NetMQCertificate? Load(string? secretFile)
    {
        if (secretFile is null)
            return null;
        string key;
        try
        {
            key = File.ReadAllText(secretFile).Trim();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new StartupException($"Cannot read -curve_key_file {secretFile}: {e.Message}", e);
        }
        try
        {
            return NetMQCertificate.CreateFromSecretKey(key);
        }
        catch (Exception e) when (e is ArgumentException or IndexOutOfRangeException or FormatException)
        {
            throw new StartupException($"-curve_key_file {secretFile} does not hold a 40-character Z85 CurveZMQ secret key (bertserving-start -curve_keygen FILE writes one).", e);
        }
    }
}
