using System.Globalization;
using BertServing.Client;
using BertServing.Tests.Support;

namespace BertServing.Tests.Reliability;

/// <summary>CurveZMQ: only clients given the server's public key get anything.</summary>
public sealed class CurveTests
{
    [Fact]
    public async Task With_curve_on_only_clients_with_the_servers_key_are_answered()
    {
        var folder = Directory.CreateTempSubdirectory("bertserving-curve-");
        try
        {
            var keyFile = Path.Combine(folder.FullName, "server.key");
            var (code, stdout, stderr) = await ServerProcess.RunToExitAsync(TimeSpan.FromSeconds(60), "-curve_keygen", keyFile);
            Assert.True(code == 0, stderr);
            var publicKey = stdout.Trim();
            Assert.Equal(40, publicKey.Length);
            Assert.Equal(publicKey, File.ReadAllText(keyFile + ".pub").Trim());
            if (!OperatingSystem.IsWindows())
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(keyFile)); // the secret is the owner's alone
            var (again, _, refusal) = await ServerProcess.RunToExitAsync(TimeSpan.FromSeconds(60), "-curve_keygen", keyFile);
            Assert.Equal(1, again); // an existing key is never overwritten
            Assert.Contains("already exists", refusal, StringComparison.Ordinal);
            Assert.Equal(publicKey, File.ReadAllText(keyFile + ".pub").Trim());

            using var server = await ServerProcess.StartAsync("-cpu", "-curve_key_file", keyFile);
            // 3 s is enough to show nothing comes back to the unkeyed clients; the keyed one gets time for its handshake.
            BertClientOptions Options(string? key, int seconds = 3) => new() { Ip = "127.0.0.1", Port = server.Port, PortOut = server.PortOut, Timeout = TimeSpan.FromSeconds(seconds), CurveServerKey = key };

            using var keyed = new BertClient(Options(publicKey, 60));
            Assert.Equal(384, keyed.Encode(["encrypted all the way"]).Dimension);
            using (var plain = new BertClient(Options(null)))
                Assert.Throws<TimeoutException>(() => plain.Encode(["in the clear"]));
            var (_, otherKey, _) = await ServerProcess.RunToExitAsync(TimeSpan.FromSeconds(60), "-curve_keygen", Path.Combine(folder.FullName, "other.key"));
            using (var wrong = new BertClient(Options(otherKey.Trim())))
                Assert.Throws<TimeoutException>(() => wrong.Encode(["wrong key"]));
            Assert.Contains($"curve_key_file = {keyFile}", server.Stdout, StringComparison.Ordinal);
            Assert.Equal(384, keyed.Encode(["still serving keyed clients"]).Dimension); // the refused ones did not hurt the server
            using var pool = new ConcurrentBertClient(4, Options(publicKey, 60)); // every pooled client gets the key
            var pooled = await Task.WhenAll(Enumerable.Range(0, 4).Select(i => pool.EncodeAsync([$"pooled and encrypted {i}"])));
            Assert.All(pooled, m => Assert.Equal(384, m.Dimension));
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task An_unreadable_key_file_fails_the_start_with_one_clear_line()
    {
        var (code, _, stderr) = await ServerProcess.RunToExitAsync(TimeSpan.FromSeconds(60), "-cpu", "-port", ServerProcess.FreePort().ToString(CultureInfo.InvariantCulture),
            "-port_out", ServerProcess.FreePort().ToString(CultureInfo.InvariantCulture), "-curve_key_file", "/nonexistent/server.key");
        Assert.Equal(1, code);
        Assert.Contains("bertserving-start: error: Cannot read -curve_key_file", stderr, StringComparison.Ordinal);
    }
}
