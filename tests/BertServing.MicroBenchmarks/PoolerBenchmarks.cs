using BenchmarkDotNet.Attributes;
using BertServing.Server.Models;
using BertServing.Server.Options;
using BertServing.Server.Pooling;

namespace BertServing.MicroBenchmarks;

/// <summary>Pooling one batch of hidden states, [64 sentences, 32 tokens, 384], into 64 sentence vectors.</summary>
[MemoryDiagnoser]
public class PoolerBenchmarks
{
    const int Sentences = 64;
    const int Tokens = 32;
    const int Hidden = BuiltInModelSpec.Dimension;

    float[] _hidden = [];
    float[] _output = [];

    [Params(PoolingStrategy.ReduceMean, PoolingStrategy.ReduceMax, PoolingStrategy.FirstToken)]
    public PoolingStrategy Strategy { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        // Seeded, so that runs compare like with like.
        var random = new Random(42);
        _hidden = new float[Sentences * Tokens * Hidden];
        for (var i = 0; i < _hidden.Length; i++)
            _hidden[i] = random.NextSingle() * 2 - 1;
        _output = new float[Sentences * Pooler.OutputDimension(Strategy, Hidden)];
    }

    [Benchmark]
    public float[] Pool()
    {
        var rowLength = Pooler.OutputDimension(Strategy, Hidden);
        for (var s = 0; s < Sentences; s++)
        {
            Pooler.Pool(Strategy, _hidden.AsSpan(s * Tokens * Hidden, Tokens * Hidden), Tokens, Hidden,
                _output.AsSpan(s * rowLength, rowLength));
        }
        return _output;
    }
}
