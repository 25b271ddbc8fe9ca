using BenchmarkDotNet.Attributes;
using BertServing.Server.Tokenization;

namespace BertServing.MicroBenchmarks;

/// <summary>Raw text to WordPiece ids, 256 corpus sentences per operation.</summary>
[MemoryDiagnoser]
public class WordPieceTokenizerBenchmarks
{
    readonly List<int> _ids = [];
    readonly List<string> _tokens = [];
    WordPieceTokenizer _tokenizer = null!;
    string[] _sentences = [];

    [GlobalSetup]
    public void Setup()
    {
        _tokenizer = Inputs.BuiltInTokenizer();
        _sentences = Inputs.Sentences(256);
    }

    [Benchmark(Baseline = true)]
    public int Ids()
    {
        var total = 0;
        foreach (var sentence in _sentences)
        {
            // Cleared per sentence as BatchPlanner does, so list growth is not what gets measured.
            _ids.Clear();
            _tokenizer.Tokenize(sentence, _ids);
            total += _ids.Count;
        }
        return total;
    }

    [Benchmark]
    public int IdsAndTokens()
    {
        var total = 0;
        foreach (var sentence in _sentences)
        {
            _ids.Clear();
            _tokens.Clear();
            _tokenizer.Tokenize(sentence, _ids, _tokens);
            total += _tokens.Count;
        }
        return total;
    }
}
