using NetMQ;

namespace BertServing.Server.Hosting;

/// <summary>The server's CurveZMQ key pair on disk: the secret key in Z85 in one file, the public key beside it.</summary>
public static class CurveKeys
{
    /// <summary>Writes a new pair to <paramref name="secretFile"/> and <c>.pub</c>; returns the public key.</summary>
    public static string Generate(string secretFile)
    {
        var certificate = new NetMQCertificate();
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(secretFile))!);
        File.WriteAllText(secretFile, certificate.SecretKeyZ85 + Environment.NewLine);
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(secretFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
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
