using System.Text;

namespace BertServing.Server.Tokenization;

/// <summary>
/// A WordPiece vocabulary (<c>vocab.txt</c>): one token per line, the id of a token being its line index.
/// </summary>
/// <remarks>Immutable once loaded, so one instance may be shared by any number of threads.</remarks>
public sealed class Vocabulary
{
    const string ContinuationPrefix = "##";

    readonly string[] _tokens;
    readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _ids;
    // WordPiece asks for "##" + a slice of the word; keying those entries by the part after "##" spares building that string.
    readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _continuations;

    Vocabulary(string[] tokens)
    {
        _tokens = tokens;
        var ids = new Dictionary<string, int>(tokens.Length, StringComparer.Ordinal);
        var continuations = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var id = 0; id < tokens.Length; id++)
        {
            var token = tokens[id];
            // A duplicated line maps to its last id, as the reference's dict assignment does.
            ids[token] = id;
            MaxTokenLength = Math.Max(MaxTokenLength, token.Length);
            if (token.Length > ContinuationPrefix.Length && token.StartsWith(ContinuationPrefix, StringComparison.Ordinal))
            {
                var piece = token[ContinuationPrefix.Length..];
                continuations[piece] = id;
                MaxContinuationLength = Math.Max(MaxContinuationLength, piece.Length);
            }
        }

        _ids = ids.GetAlternateLookup<ReadOnlySpan<char>>();
        _continuations = continuations.GetAlternateLookup<ReadOnlySpan<char>>();
        ClsId = RequireId("[CLS]");
        SepId = RequireId("[SEP]");
        UnkId = RequireId("[UNK]");
        PadId = RequireId("[PAD]");
    }

    /// <summary>Number of lines (ids) in the vocabulary.</summary>
    public int Count => _tokens.Length;

    /// <summary>Id of <c>[CLS]</c>.</summary>
    public int ClsId { get; }

    /// <summary>Id of <c>[SEP]</c>.</summary>
    public int SepId { get; }

    /// <summary>Id of <c>[UNK]</c>.</summary>
    public int UnkId { get; }

    /// <summary>Id of <c>[PAD]</c>.</summary>
    public int PadId { get; }

    /// <summary>Length in UTF-16 chars of the longest token; longer candidates cannot match.</summary>
    internal int MaxTokenLength { get; }

    /// <summary>Length in UTF-16 chars of the longest continuation token, without its <c>##</c>.</summary>
    internal int MaxContinuationLength { get; }

    /// <summary>Reads a vocabulary from UTF-8 text; LF and CRLF line ends both work. The stream is not disposed.</summary>
    /// <exception cref="InvalidDataException">A special token ([CLS], [SEP], [UNK] or [PAD]) is missing.</exception>
    public static Vocabulary Load(Stream utf8Lines)
    {
        ArgumentNullException.ThrowIfNull(utf8Lines);
        using var reader = new StreamReader(utf8Lines, Encoding.UTF8, detectEncodingFromByteOrderMarks: true, leaveOpen: true);
        var tokens = new List<string>(32_000);
        // ReadLine yields no line after a final line break, so a trailing empty line is not a token.
        while (reader.ReadLine() is { } line)
            tokens.Add(line.Trim()); // The reference strips each line.
        return new Vocabulary([.. tokens]);
    }

    /// <summary>Reads a vocabulary file (see <see cref="Load(Stream)"/>).</summary>
    public static Vocabulary Load(string path)
    {
        using var stream = File.OpenRead(path);
        return Load(stream);
    }

    /// <summary>Looks a token up without allocating.</summary>
    public bool TryGetId(ReadOnlySpan<char> token, out int id) => _ids.TryGetValue(token, out id);

    /// <summary>The token with the given id.</summary>
    public string GetToken(int id) => _tokens[id];

    /// <summary>Looks up <c>"##" + piece</c> without building that string.</summary>
    internal bool TryGetContinuationId(ReadOnlySpan<char> piece, out int id) => _continuations.TryGetValue(piece, out id);

    int RequireId(string token) =>
        _ids.TryGetValue(token, out var id)
            ? id
            : throw new InvalidDataException($"The vocabulary has no {token} token; is it a BERT vocab.txt?");
}
