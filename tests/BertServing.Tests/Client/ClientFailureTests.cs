using System.Diagnostics;
using BertServing.Client;
using BertServing.Client.Protocol;
using BertServing.Tests.Support;
using MessagePack;
using NetMQ;
using NetMQ.Sockets;

namespace BertServing.Tests.Client;

/// <summary>Timeouts, version checks and bertserving-terminate.</summary>
[Collection(TimingCollection.Name)]
public sealed class ClientFailureTests
{
    [Fact]
    public async Task A_stopped_server_raises_timeout_within_the_timeout_plus_20_percent()
    {
        using var server = await ServerProcess.StartAsync("-cpu");
        var timeout = TimeSpan.FromSeconds(2);
        using var client = new BertClient("127.0.0.1", server.Port, server.PortOut, timeout);
        Assert.Equal(1, client.Encode(["up"]).Count);
        Assert.Equal(0, server.Stop(TimeSpan.FromSeconds(20)));

        var clock = Stopwatch.StartNew();
        var e = Assert.Throws<TimeoutException>(() => client.Encode(["down"]));
        clock.Stop();
        Assert.InRange(clock.Elapsed, timeout * 0.95, timeout * 1.2);
        Assert.Contains("Is the server running", e.Message, StringComparison.Ordinal);
        Assert.Equal(0, client.Status.NumPendingRequest);
    }

    [Fact]
    public void A_server_of_another_version_is_refused_unless_the_check_is_off()
    {
        using var fake = new FakeServer("9.9.9");
        using (var checking = new BertClient(new BertClientOptions { Ip = "127.0.0.1", Port = fake.Port, PortOut = fake.PortOut, Timeout = TimeSpan.FromSeconds(20) }))
        {
            var e = Assert.Throws<ServerVersionMismatchException>(() => checking.GetServerInfo());
            Assert.Equal("9.9.9", e.ServerVersion);
            Assert.Contains("CheckVersion = false", e.Message, StringComparison.Ordinal);
        }
        using var lenient = new BertClient(new BertClientOptions { Ip = "127.0.0.1", Port = fake.Port, PortOut = fake.PortOut, Timeout = TimeSpan.FromSeconds(20), CheckVersion = false });
        Assert.Equal("9.9.9", lenient.GetServerInfo().ServerVersion);
    }

    [Fact]
    public async Task Bertserving_terminate_stops_a_server_and_reports_a_dead_port()
    {
        using var server = await ServerProcess.StartAsync("-cpu", "-enable_termination");
        var dll = Path.Combine(RepoPaths.Root, "src", "BertServing.Terminate", "bin", ServerProcess.Configuration, "net10.0", "bertserving-terminate.dll");
        var (code, stdout, _) = await DotnetApp.RunAsync(dll, "-ip", "127.0.0.1", "-port", server.Port.ToString());
        Assert.Equal(0, code);
        Assert.Contains($"shutdown signal sent to {server.Port}", stdout, StringComparison.Ordinal);
        Assert.Equal(0, await server.ExitCodeAsync(TimeSpan.FromSeconds(30))); // stopped by TERMINATION itself, not by a signal
        Assert.Contains("TERMINATION received", server.Stdout, StringComparison.Ordinal);

        var (deadCode, _, stderr) = await DotnetApp.RunAsync(dll, "-port", ServerProcess.FreePort().ToString(), "-timeout", "500");
        Assert.Equal(1, deadCode);
        Assert.Contains("no connection", stderr, StringComparison.Ordinal);
    }

    /// <summary>Answers every hello as a server of <c>version</c> would; nothing else.</summary>
    sealed class FakeServer : IDisposable
    {
        readonly PullSocket _pull = new();
        readonly PublisherSocket _pub = new();
        readonly NetMQPoller _poller;

        public FakeServer(string version)
        {
            Port = _pull.BindRandomPort("tcp://127.0.0.1");
            PortOut = _pub.BindRandomPort("tcp://127.0.0.1");
            _pull.ReceiveReady += (_, e) =>
            {
                var message = e.Socket.ReceiveMultipartMessage();
                var request = MessagePackSerializer.Deserialize<Request>(message[1].Buffer, WireFormat.Options);
                var reply = new Reply { Kind = ReplyKind.Hello, RequestId = request.RequestId, Info = new ServerInfo { ServerVersion = version, Dimension = 4, MaxSeqLen = 8 } };
                var answer = new NetMQMessage();
                answer.Append(message[0].ToByteArray());
                answer.Append(MessagePackSerializer.Serialize(reply, WireFormat.Options));
                answer.Append(Array.Empty<byte>());
                _pub.SendMultipartMessage(answer);
            };
            _poller = [_pull];
            _poller.RunAsync();
        }

        public int Port { get; }

        public int PortOut { get; }

        public void Dispose()
        {
            _poller.Stop();
            _poller.Dispose();
            _pull.Dispose();
            _pub.Dispose();
        }
    }
}
