using BertServing.Tests.Support;

namespace BertServing.Tests.Parity;

/// <summary>Big requests are split and reassembled in order; small ones go ahead of big ones.</summary>
public sealed class RequestHandlingTests
{
    [Fact]
    public async Task A_1000_sentence_request_split_by_max_batch_size_64_comes_back_in_order_equal_to_one_by_one()
    {
        using var server = await FlaggedServer.StartAsync("-max_batch_size", "64", "-num_worker", "2");
        var corpus = File.ReadLines(RepoPaths.TestData("sentences-4000.txt")).Take(1000).ToArray();
        var all = server.Client.Encode(corpus);
        Assert.Equal([1000, 384], all.Shape);
        for (var i = 0; i < corpus.Length; i++)
            Numerics.AssertClose(server.Client.Encode([corpus[i]])[0], all[i], 1e-5f);
    }

    [Fact]
    public async Task A_small_request_sent_after_a_big_one_is_answered_first()
    {
        using var server = await FlaggedServer.StartAsync("-max_batch_size", "16", "-priority_batch_size", "16");
        var corpus = File.ReadLines(RepoPaths.TestData("sentences-4000.txt")).Take(1500).ToArray();
        var order = new System.Collections.Concurrent.ConcurrentQueue<string>();
        async Task<int> Encode(string name, string[] sentences)
        {
            var result = await server.Client.EncodeAsync(sentences);
            order.Enqueue(name);
            return result.Count;
        }
        server.Client.GetServerInfo(); // handshake first, so the big request is surely sent before the small one
        var big = Encode("big", corpus);
        await Task.Delay(100); // let the big request reach the planner first
        var small = await Encode("small", ["a small request"]);
        Assert.Equal(1500, await big);
        Assert.Equal(1, small);
        Assert.Equal(["small", "big"], order.ToArray());
    }
}
