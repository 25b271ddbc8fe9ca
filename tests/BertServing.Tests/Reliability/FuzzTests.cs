using System.Text;
using System.Text.Json;
using BertServing.Client;
using BertServing.Client.Protocol;
using Xunit.Abstractions;
using BertServing.Tests.Support;
using MessagePack;
using NetMQ;
using NetMQ.Sockets;

namespace BertServing.Tests.Reliability;

/// <summary>
/// 100,000 random and mutated frames at the real server: it stays up, its memory stays bounded, and a normal client
/// then gets the same embeddings as before.
/// </summary>
public sealed class FuzzTests(ITestOutputHelper output)
{
    const int Messages = 100_000;

    [Fact]
    public async Task The_server_survives_100000_random_and_mutated_frames_and_then_encodes_correctly()
    {
        // Small queues, so the mutations that stay valid requests are mostly answered "busy" instead of computed.
        using var server = await ServerProcess.StartAsync("-cpu", "-max_queued_requests", "8", "-max_queued_sentences", "256", "-max_request_sentences", "256");
        string[] probe = BlogSentences.Three;
        float[][] before;
        using (var client = new BertClient("127.0.0.1", server.Port, server.PortOut, TimeSpan.FromSeconds(60)))
            before = client.Encode(probe).ToArrays();
        var baseline = server.ResidentBytes;

        var random = new Random(20261204); // fixed: a failure can be replayed
        var native = MessagePackSerializer.Serialize(new Request { Kind = RequestKind.Encode, RequestId = 1, Texts = ["fuzz me", "and me"] }, WireFormat.Options);
        var legacy = JsonSerializer.SerializeToUtf8Bytes(new[] { "fuzz me", "and me" });
        var clock = System.Diagnostics.Stopwatch.StartNew();
        using (var sub = new SubscriberSocket())
        using (var push = new PushSocket())
        {
            sub.Options.Linger = TimeSpan.Zero;
            sub.Subscribe("fuzz-final");
            sub.Connect($"tcp://127.0.0.1:{server.PortOut}");
            push.Options.SendHighWatermark = 0; // queue it all locally: the server reads at its own pace
            push.Options.Linger = TimeSpan.Zero;
            push.Connect($"tcp://127.0.0.1:{server.Port}");
            for (var i = 0; i < Messages; i++)
                push.SendMultipartMessage(Mutant(random, i % 3, native, legacy));
            // One connection keeps its order: when this last request is answered, all before it have been read.
            var final = new NetMQMessage();
            final.Append("fuzz-final");
            final.Append(MessagePackSerializer.Serialize(new Request { Kind = RequestKind.Hello, RequestId = 424242 }, WireFormat.Options));
            push.SendMultipartMessage(final);
            NetMQMessage? reply = null;
            Assert.True(sub.TryReceiveMultipartMessage(TimeSpan.FromSeconds(300), ref reply), "the server did not get through the fuzz frames");
            Assert.Equal(424242, MessagePackSerializer.Deserialize<Reply>(reply![1].Buffer.AsMemory(0, reply[1].MessageSize), WireFormat.Options).RequestId);
        }
        output.WriteLine($"{Messages} frames sent and read in {clock.Elapsed.TotalSeconds:0.0} s");
        // Whatever is still queued drains; then the server must answer a normal client, with the same vectors.
        using (var client = new BertClient("127.0.0.1", server.Port, server.PortOut, TimeSpan.FromSeconds(120)))
        {
            var after = client.Encode(probe).ToArrays();
            for (var i = 0; i < probe.Length; i++)
                Numerics.AssertClose(before[i], after[i], 1e-5f);
        }
        output.WriteLine($"answered after {clock.Elapsed.TotalSeconds:0.0} s");
        Assert.False(server.HasExited);
        var grown = server.ResidentBytes - baseline;
        output.WriteLine($"RSS {baseline >> 20} MiB before, {(baseline + grown) >> 20} MiB after");
        Assert.True(grown < 600L << 20, $"RSS grew by {grown >> 20} MiB over {Messages} messages");
        Assert.DoesNotContain("Unhandled exception", server.Stdout + server.Stderr, StringComparison.Ordinal);
    }

    static NetMQMessage Mutant(Random random, int kind, byte[] native, byte[] legacy)
    {
        var message = new NetMQMessage();
        switch (kind)
        {
            case 0: // noise: 0 to 6 frames of 0 to 64 random bytes
                for (var f = random.Next(7); f > 0; f--)
                    message.Append(Bytes(random, random.Next(65)));
                if (message.IsEmpty) message.AppendEmptyFrame();
                break;
            case 1: // a native request with bytes flipped, cut or added
                message.Append(random.Next(4) == 0 ? [] : Encoding.ASCII.GetBytes("fz" + random.Next(1000)));
                message.Append(Mutate(random, native));
                if (random.Next(10) == 0) message.Append(Bytes(random, 3));
                break;
            default: // a bert-serving-client request with its JSON or its numbers broken
                message.Append(Encoding.ASCII.GetBytes("fz" + random.Next(1000)));
                message.Append(random.Next(5) == 0 ? Encoding.ASCII.GetBytes(random.Next(3) switch { 0 => "SHOW_STATUS", 1 => "TERMINATION", _ => "SHOW_CONFIG" }) : Mutate(random, legacy));
                message.Append(random.Next(3) == 0 ? Bytes(random, 4) : Encoding.ASCII.GetBytes(random.Next(100000).ToString(System.Globalization.CultureInfo.InvariantCulture)));
                message.Append(random.Next(3) == 0 ? Bytes(random, 2) : "2"u8.ToArray());
                break;
        }
        return message;
    }

    static byte[] Mutate(Random random, byte[] valid)
    {
        var bytes = valid.ToList();
        for (var n = 1 + random.Next(4); n > 0 && bytes.Count > 0; n--)
        {
            var at = random.Next(bytes.Count);
            switch (random.Next(3))
            {
                case 0: bytes[at] = (byte)random.Next(256); break;
                case 1: bytes.RemoveRange(at, bytes.Count - at); break;
                default: bytes.Insert(at, (byte)random.Next(256)); break;
            }
        }
        return [.. bytes];
    }

    static byte[] Bytes(Random random, int count)
    {
        var bytes = new byte[count];
        random.NextBytes(bytes);
        return bytes;
    }
}
