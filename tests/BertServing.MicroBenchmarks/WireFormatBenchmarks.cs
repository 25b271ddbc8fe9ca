using BenchmarkDotNet.Attributes;
using BertServing.Client.Protocol;
using BertServing.Server.Models;
using MessagePack;

namespace BertServing.MicroBenchmarks;

/// <summary>
/// MessagePack encoding of the native protocol's messages for a 256-sentence request. The server's reply frames
/// (Transport/ReplyFrames) are internal to the server, so the reply header is measured on its own.
/// </summary>
[MemoryDiagnoser]
public class WireFormatBenchmarks
{
    Request _request = null!;
    Reply _reply = null!;
    byte[] _requestBytes = [];
    byte[] _replyBytes = [];

    [GlobalSetup]
    public void Setup()
    {
        var sentences = Inputs.Sentences(256);
        _request = new Request { Kind = RequestKind.Encode, RequestId = 42, Texts = sentences };

        // With show_tokens, as that is when the header is more than a few dozen bytes.
        var tokenizer = Inputs.BuiltInTokenizer();
        var tokens = sentences.Select(sentence =>
        {
            var pieces = new List<string> { "[CLS]" };
            tokenizer.Tokenize(sentence, [], pieces);
            pieces.Add("[SEP]");
            return (IReadOnlyList<string>)pieces;
        }).ToArray();
        _reply = new Reply
        {
            Kind = ReplyKind.Embeddings,
            RequestId = 42,
            Dtype = WireFormat.DtypeFloat32,
            Shape = [sentences.Length, BuiltInModelSpec.Dimension],
            Tokens = tokens,
        };

        _requestBytes = MessagePackSerializer.Serialize(_request, WireFormat.Options);
        _replyBytes = MessagePackSerializer.Serialize(_reply, WireFormat.Options);
    }

    [Benchmark]
    public byte[] SerializeRequest() => MessagePackSerializer.Serialize(_request, WireFormat.Options);

    [Benchmark]
    public Request DeserializeRequest() => MessagePackSerializer.Deserialize<Request>(_requestBytes, WireFormat.Options);

    [Benchmark]
    public byte[] SerializeReply() => MessagePackSerializer.Serialize(_reply, WireFormat.Options);

    [Benchmark]
    public Reply DeserializeReply() => MessagePackSerializer.Deserialize<Reply>(_replyBytes, WireFormat.Options);
}
