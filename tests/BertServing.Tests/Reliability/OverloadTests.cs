using BertServing.Client.Protocol;
using BertServing.Tests.Support;

namespace BertServing.Tests.Reliability;

/// <summary>A burst beyond the queue limits gets "busy" replies, every request one reply, and memory stays put.</summary>
public sealed class OverloadTests(Xunit.Abstractions.ITestOutputHelper output)
{
    [Fact]
    public async Task A_burst_beyond_the_queue_gets_busy_replies_and_then_the_server_serves_normally()
    {
        using var server = await ServerProcess.StartAsync("-cpu", "-max_queued_requests", "4", "-max_queued_sentences", "200", "-max_request_sentences", "200");
        var before = server.ResidentBytes;
        using var raw = new RawConnection(server);
        var corpus = File.ReadLines(RepoPaths.TestData("sentences-4000.txt")).Take(2000).ToArray();
        const int Requests = 400;
        for (var i = 0; i < Requests; i++)
            raw.SendRequest(new Request { Kind = RequestKind.Encode, RequestId = i + 1, Texts = corpus.Skip(i * 5 % 1950).Take(40).ToList() });

        var answered = new HashSet<long>();
        var busy = 0;
        for (var i = 0; i < Requests; i++)
        {
            var (reply, data) = raw.Receive(TimeSpan.FromSeconds(120));
            Assert.True(answered.Add(reply.RequestId), $"request {reply.RequestId} answered twice");
            if (reply.Error == ErrorCode.Busy)
                busy++;
            else
                Assert.True(reply.Error == ErrorCode.None && data.Length == 40 * 384 * sizeof(float), $"request {reply.RequestId}: {reply.Error} {reply.Message}");
        }
        Assert.Equal(Requests, answered.Count); // every request got exactly one reply
        output.WriteLine($"{Requests} requests of 40 sentences at once: {Requests - busy} computed, {busy} busy; RSS {before >> 20} -> {server.ResidentBytes >> 20} MiB");
        Assert.InRange(busy, 1, Requests - 1);
        Assert.True(server.ResidentBytes - before < 512L << 20, $"RSS grew from {before >> 20} MiB to {server.ResidentBytes >> 20} MiB");

        using var client = new BertServing.Client.BertClient("127.0.0.1", server.Port, server.PortOut, TimeSpan.FromSeconds(30));
        Assert.Equal(3, client.Encode(["after", "the", "burst"]).Count);
    }
}
