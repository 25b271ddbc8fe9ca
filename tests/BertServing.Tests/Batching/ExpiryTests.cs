using BertServing.Client;
using BertServing.Tests.Support;

namespace BertServing.Tests.Batching;

/// <summary>A request whose client has stopped waiting is skipped, not computed, and nothing else is disturbed.</summary>
/// <remarks>Alone, after the parallel tests: a 300 ms client timeout must not be spent waiting for a busy machine.</remarks>
[Collection(TimingCollection.Name)]
public sealed class ExpiryTests
{
    [Fact]
    public async Task A_request_that_times_out_while_queued_is_not_computed_and_later_requests_are_served()
    {
        using var server = await FlaggedServer.StartAsync();
        var corpus = File.ReadLines(RepoPaths.TestData("sentences-4000.txt")).ToArray();
        server.Client.Encode(["connect first, so the big request starts at once"]);

        // Big requests (more than -priority_batch_size) are served in arrival order, so the impatient one queues
        // behind the first for far longer than its 300 ms.
        using var impatient = new BertClient("127.0.0.1", server.Process.Port, server.Process.PortOut, TimeSpan.FromMilliseconds(300));
        impatient.GetServerInfo(); // its handshake done before the big request, so its 300 ms go to the encode alone
        var first = server.Client.EncodeAsync(corpus[..1200]);
        await Task.Delay(50);
        var expired = await Assert.ThrowsAsync<TimeoutException>(() => impatient.EncodeAsync(corpus[1200..2000]));
        Assert.Contains("300 ms", expired.Message, StringComparison.Ordinal);

        var result = await first;
        Assert.Equal([1200, 384], result.Shape);
        var after = server.Client.Encode(corpus[2000..2040]);
        Numerics.AssertClose(server.Client.Encode([corpus[2039]])[0], after[39], 1e-5f);

        var statistic = server.Client.GetServerStatus()["statistic"];
        Assert.Equal(1, statistic.GetProperty("num_expired_request").GetInt64());
    }
}
