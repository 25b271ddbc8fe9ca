using System.Diagnostics;
using BertServing.Client.Protocol;
using BertServing.Server.Telemetry;
using BertServing.Server.Tokenization;

namespace BertServing.Server.Batching;

/// <summary>
/// Tokenizes jobs into a <see cref="SentencePool"/> and cuts batches from it when a worker has room: sentences of
/// similar length from any job run together (sorting by length measured +30% on this model), and a batch is capped
/// by sentence count and by padded tokens (longest × count), which bounds worker buffers and keeps batches
/// cache-sized.
/// </summary>
/// <remarks>Not thread-safe: one planner thread owns it.</remarks>
public sealed class BatchPlanner
{
    readonly int _maxSentenceChars;
    readonly WordPieceTokenizer _tokenizer;
    readonly int _tokenLimit;
    readonly int _dimension;
    readonly bool _noSpecialToken;
    readonly bool _tokenRows;
    readonly int? _fixedTokenRows;
    readonly SentencePool _pool;
    readonly List<TokenizedSentence> _sentences = [];
    readonly List<int> _ids = [];
    readonly List<int> _second = [];
    readonly List<string> _tokens = [];
    readonly List<string> _secondTokens = [];

    /// <summary>Creates a planner.</summary>
    /// <param name="tokenizer">The model's tokenizer.</param>
    /// <param name="tokenLimit">Most tokens per sentence, [CLS] and [SEP] included.</param>
    /// <param name="maxBatchSize">Most sentences per batch.</param>
    /// <param name="maxBatchTokens">Most padded tokens per batch; raised to <paramref name="tokenLimit"/> so any sentence fits.</param>
    /// <param name="dimension">Length of one output row (per token when <paramref name="tokenRows"/>).</param>
    /// <param name="noSpecialToken">Pre-tokenized single sentences go in without [CLS]/[SEP] (<c>-no_special_token</c>).</param>
    /// <param name="tokenRows">The output is a row per token (<c>NONE</c> pooling), <c>[N, T, D]</c>.</param>
    /// <param name="fixedTokenRows">T for token rows; null means the longest sentence of each request.</param>
    /// <param name="priorityBatchSize">Jobs of at most this many sentences are batched ahead of bigger ones.</param>
    /// <param name="maxSentenceChars">A sentence longer than this fails its job as too large (<c>-max_sentence_chars</c>).</param>
    public BatchPlanner(WordPieceTokenizer tokenizer, int tokenLimit, int maxBatchSize, int maxBatchTokens, int dimension,
        bool noSpecialToken = false, bool tokenRows = false, int? fixedTokenRows = null, int priorityBatchSize = 0, int maxSentenceChars = int.MaxValue)
    {
        _maxSentenceChars = maxSentenceChars;
        _tokenizer = tokenizer;
        _tokenLimit = tokenLimit;
        MaxBatchTokens = Math.Max(maxBatchTokens, tokenLimit);
        _dimension = dimension;
        _noSpecialToken = noSpecialToken;
        _tokenRows = tokenRows;
        _fixedTokenRows = fixedTokenRows;
        _pool = new SentencePool(tokenLimit, maxBatchSize, MaxBatchTokens, priorityBatchSize);
    }

    /// <summary>Most padded tokens one batch can hold: what a worker's buffers must fit.</summary>
    public int MaxBatchTokens { get; }

    /// <summary>Sentences tokenized and waiting for a batch.</summary>
    public int Waiting => _pool.Count;

    /// <summary>The jobs with sentences waiting.</summary>
    public IEnumerable<EncodeJob> WaitingJobs => _pool.Jobs;

    /// <summary>Tokenizes <paramref name="job"/> and adds its sentences to those waiting; a job that fails here is failed.</summary>
    public void Add(EncodeJob job)
    {
        if (job.AbandonIfExpired(Environment.TickCount64))
            return; // its client stopped waiting while it queued: not even tokenized
        if (TooLong(job) is { } row)
        {
            // Checked here, once for every front: a huge sentence costs tokenizer time only to be cut to max_seq_len.
            job.Fail(ErrorCode.TooLarge, $"Sentence {row} is longer than {_maxSentenceChars} characters (-max_sentence_chars); shorten or split it.");
            return;
        }
        _sentences.Clear();
        try
        {
            Tokenize(job, _sentences);
            _pool.Add(job, _sentences);
        }
        catch (OutOfMemoryException)
        {
            // Almost always the request's own output buffer (-pooling_strategy NONE: N x T x D floats in one array):
            // this request is too big for the memory the server has, the server itself is fine.
            job.Fail(ErrorCode.TooLarge, $"The server has no memory for this request's output ({job.Count} sentences); send fewer sentences per request.");
        }
        catch (Exception e)
        {
            // One bad job must not take the planner (and every other job) down with it; anything of it already
            // pooled is dropped when reached, as the job is finished.
            job.Fail(ErrorCode.Internal, "Tokenization failed: " + e.Message);
        }
    }

    int? TooLong(EncodeJob job)
    {
        for (var row = 0; row < job.Count; row++)
        {
            var length = job.Texts is { } texts ? texts[row].Length : job.Tokenized![row].Sum(static t => t.Length + 1);
            if (length > _maxSentenceChars)
                return row;
        }
        return null;
    }

    /// <summary>What is wrong with the waiting sentences' bookkeeping, or null: for tests.</summary>
    internal string? CheckConsistency() => _pool.CheckConsistency();

    /// <summary>The best batch of what is waiting now, or null when nothing is.</summary>
    public InferenceBatch? NextBatch() => _pool.TakeBatch();

    /// <summary>Tokenizes <paramref name="jobs"/> and cuts all their sentences into batches at once.</summary>
    public List<InferenceBatch> Plan(IReadOnlyList<EncodeJob> jobs)
    {
        foreach (var job in jobs)
            Add(job);
        var batches = new List<InferenceBatch>();
        while (NextBatch() is { } batch)
            batches.Add(batch);
        return batches;
    }

    void Tokenize(EncodeJob job, List<TokenizedSentence> sentences)
    {
        var started = Stopwatch.GetTimestamp();
        if (job.ShowTokens)
            job.Tokens = new IReadOnlyList<string>[job.Count];
        var longest = 0;
        var tokens = 0;
        for (var row = 0; row < job.Count; row++)
        {
            var sentence = TokenizeOne(job, row, out var truncated);
            if (truncated)
                (job.Truncated ??= []).Add(row);
            longest = Math.Max(longest, sentence.Ids.Length);
            tokens += sentence.Ids.Length;
            sentences.Add(sentence);
        }
        job.TokenCount = tokens;
        if (!job.Unmetered)
            ServerMetrics.Tokenized(job.Count, tokens, Stopwatch.GetElapsedTime(started));
        // The output is allocated once its shape is known: for token rows, T depends on the request's longest sentence.
        job.Dimension = _dimension;
        job.TokenRows = _tokenRows ? _fixedTokenRows ?? longest : 0;
        var bytes = (long)job.Count * job.RowLength * sizeof(float);
        if (bytes > Array.MaxLength)
            throw new InsufficientMemoryException($"{bytes} bytes of output exceed one array"); // an OutOfMemoryException: answered as TooLarge
        job.Output = new byte[bytes];
    }

    TokenizedSentence TokenizeOne(EncodeJob job, int row, out bool truncated)
    {
        _ids.Clear();
        _second.Clear();
        _tokens.Clear();
        _secondTokens.Clear();
        var show = job.ShowTokens;
        var pair = false;
        var special = true;
        if (job.Tokenized is { } tokenized)
        {
            // bert-as-service: a '|||' token splits a pre-tokenized pair; tokens are looked up as given, [UNK] if unknown.
            var words = tokenized[row];
            var split = IndexOf(words, "|||");
            if (split >= 0)
            {
                pair = true;
                _tokenizer.MapTokens(words.Take(split).ToList(), _ids, show ? _tokens : null);
                _tokenizer.MapTokens(words.Skip(split + 1).ToList(), _second, show ? _secondTokens : null);
            }
            else
            {
                _tokenizer.MapTokens(words, _ids, show ? _tokens : null);
                special = !_noSpecialToken;
            }
        }
        else
        {
            var text = job.Texts![row].Trim();
            if (SentencePair.TrySplit(text, out var a, out var b))
            {
                pair = true;
                _tokenizer.Tokenize(a, _ids, show ? _tokens : null);
                _tokenizer.Tokenize(b, _second, show ? _secondTokens : null);
            }
            else
            {
                _tokenizer.Tokenize(text, _ids, show ? _tokens : null);
            }
        }

        var vocab = _tokenizer.Vocabulary;
        if (!special)
        {
            // -no_special_token: tokens[:max_seq_len], nothing added.
            var keep = Math.Min(_ids.Count, _tokenLimit);
            truncated = keep < _ids.Count;
            var bare = _ids.GetRange(0, keep).ToArray();
            if (show) job.Tokens![row] = _tokens.GetRange(0, keep);
            return new TokenizedSentence(job, row, bare, 0);
        }
        if (!pair)
        {
            // Right truncation, as bert-as-service: keep the first (limit - 2) pieces, then frame with [CLS]/[SEP].
            var kept = Math.Min(_ids.Count, _tokenLimit - 2);
            truncated = kept < _ids.Count;
            var ids = new int[kept + 2];
            ids[0] = vocab.ClsId;
            _ids.CopyTo(0, ids, 1, kept);
            ids[^1] = vocab.SepId;
            if (show) job.Tokens![row] = ["[CLS]", .. _tokens.Take(kept), "[SEP]"];
            return new TokenizedSentence(job, row, ids, 0);
        }

        // A pair: bert-as-service's _truncate_seq_pair pops from the longer side until both fit with 3 specials.
        int lengthA = _ids.Count, lengthB = _second.Count;
        truncated = lengthA + lengthB > _tokenLimit - 3;
        while (lengthA + lengthB > _tokenLimit - 3)
        {
            if (lengthA > lengthB) lengthA--;
            else lengthB--;
        }
        var pairIds = new int[lengthA + lengthB + 3];
        pairIds[0] = vocab.ClsId;
        _ids.CopyTo(0, pairIds, 1, lengthA);
        pairIds[lengthA + 1] = vocab.SepId;
        _second.CopyTo(0, pairIds, lengthA + 2, lengthB);
        pairIds[^1] = vocab.SepId;
        if (show) job.Tokens![row] = ["[CLS]", .. _tokens.Take(lengthA), "[SEP]", .. _secondTokens.Take(lengthB), "[SEP]"];
        return new TokenizedSentence(job, row, pairIds, lengthA + 2);
    }

    static int IndexOf(IReadOnlyList<string> words, string token)
    {
        for (var i = 0; i < words.Count; i++)
            if (words[i] == token) return i;
        return -1;
    }
}
