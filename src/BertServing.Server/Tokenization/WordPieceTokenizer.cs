namespace BertServing.Server.Tokenization;

/// <summary>
/// BERT's full tokenizer (Google's <c>FullTokenizer</c>, as bert-as-service 1.10 uses it): basic tokenization
/// followed by greedy longest-match-first WordPiece.
/// </summary>
/// <remarks>
/// Immutable and thread-safe: any number of threads may tokenize with one instance at once. Scratch buffers
/// are per thread, so steady-state tokenization allocates only what it appends to the caller's lists.
/// </remarks>
public sealed class WordPieceTokenizer
{
    const int RetainedWorkspaceChars = 1 << 16;

    [ThreadStatic]
    static Workspace? _workspace;

    readonly int _maxInputCharsPerWord;

    /// <param name="vocabulary">The model's vocabulary.</param>
    /// <param name="lowerCase">True for uncased models: lower-case and strip accents before splitting.</param>
    /// <param name="maxInputCharsPerWord">A longer word (in code points) becomes a single <c>[UNK]</c>.</param>
    /// <exception cref="PlatformNotSupportedException"><paramref name="lowerCase"/> without ICU to strip accents.</exception>
    public WordPieceTokenizer(Vocabulary vocabulary, bool lowerCase, int maxInputCharsPerWord = 100)
    {
        ArgumentNullException.ThrowIfNull(vocabulary);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxInputCharsPerWord);
        if (lowerCase)
            TextFolding.EnsureSupported();
        Vocabulary = vocabulary;
        LowerCase = lowerCase;
        _maxInputCharsPerWord = maxInputCharsPerWord;
    }

    /// <summary>The vocabulary ids refer to.</summary>
    public Vocabulary Vocabulary { get; }

    /// <summary>Whether input is lower-cased and stripped of accents (uncased models).</summary>
    public bool LowerCase { get; }

    /// <summary>
    /// Tokenizes raw text and appends the ids (and, if <paramref name="tokens"/> is given, the token strings).
    /// No <c>[CLS]</c> or <c>[SEP]</c> is added.
    /// </summary>
    public void Tokenize(string text, List<int> ids, List<string>? tokens = null)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(ids);
        var workspace = _workspace ??= new Workspace();
        workspace.Basic.Tokenize(text, LowerCase, workspace.Words);
        for (var i = 0; i < workspace.Words.Count; i++)
            AppendPieces(workspace.Words[i], ids, tokens);

        // Buffers grow to the longest text seen; one huge request should not pin that much memory per thread.
        if (text.Length > RetainedWorkspaceChars)
            _workspace = null;
    }

    /// <summary>
    /// Maps already tokenized input as bert-as-service does for <c>is_tokenized</c> requests: each token is
    /// looked up exactly as given (no splitting, no lower-casing); one not in the vocabulary becomes <c>[UNK]</c>.
    /// </summary>
    public void MapTokens(IReadOnlyList<string> words, List<int> ids, List<string>? tokens = null)
    {
        ArgumentNullException.ThrowIfNull(words);
        ArgumentNullException.ThrowIfNull(ids);
        for (var i = 0; i < words.Count; i++)
        {
            var id = Vocabulary.TryGetId(words[i], out var found) ? found : Vocabulary.UnkId;
            Append(id, ids, tokens);
        }
    }

    void AppendPieces(ReadOnlySpan<char> word, List<int> ids, List<string>? tokens)
    {
        if (word.Length > _maxInputCharsPerWord && CountCodePoints(word) > _maxInputCharsPerWord)
        {
            Append(Vocabulary.UnkId, ids, tokens);
            return;
        }

        var firstId = ids.Count;
        var firstToken = tokens?.Count ?? 0;
        var start = 0;
        while (start < word.Length)
        {
            if (!TryLongestPiece(word, start, out var end, out var id))
            {
                // A word that cannot be covered completely is one [UNK], not a partial split.
                ids.RemoveRange(firstId, ids.Count - firstId);
                tokens?.RemoveRange(firstToken, tokens.Count - firstToken);
                Append(Vocabulary.UnkId, ids, tokens);
                return;
            }

            Append(id, ids, tokens);
            start = end;
        }
    }

    bool TryLongestPiece(ReadOnlySpan<char> word, int start, out int end, out int id)
    {
        // Candidates longer than the longest vocabulary entry cannot match, so the search starts there rather than
        // at the end of the word; the first match is the same either way.
        var limit = start == 0 ? Vocabulary.MaxTokenLength : Vocabulary.MaxContinuationLength;
        // Stepping by UTF-16 char is safe: a candidate ending inside a surrogate pair is never a vocabulary entry.
        for (end = Math.Min(word.Length, start + limit); end > start; end--)
        {
            var candidate = word[start..end];
            if (start == 0 ? Vocabulary.TryGetId(candidate, out id) : Vocabulary.TryGetContinuationId(candidate, out id))
                return true;
        }

        id = -1;
        return false;
    }

    void Append(int id, List<int> ids, List<string>? tokens)
    {
        ids.Add(id);
        tokens?.Add(Vocabulary.GetToken(id));
    }

    static int CountCodePoints(ReadOnlySpan<char> word)
    {
        var count = 0;
        foreach (var _ in word.EnumerateRunes())
            count++;
        return count;
    }

    sealed class Workspace
    {
        public BasicTokenizer Basic { get; } = new();

        public SegmentList Words { get; } = new();
    }
}
