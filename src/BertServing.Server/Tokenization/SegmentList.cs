namespace BertServing.Server.Tokenization;

/// <summary>The words basic tokenization produced, laid end to end in one reusable buffer.</summary>
internal sealed class SegmentList
{
    readonly CharBuffer _chars = new();
    readonly List<int> _ends = [];

    public int Count => _ends.Count;

    public ReadOnlySpan<char> this[int index]
    {
        get
        {
            var start = index == 0 ? 0 : _ends[index - 1];
            return _chars.Written[start.._ends[index]];
        }
    }

    /// <summary>Adds a word; empty ones are dropped, as the reference's final whitespace split drops them.</summary>
    public void Add(ReadOnlySpan<char> word)
    {
        if (word.IsEmpty)
            return;
        _chars.Append(word);
        _ends.Add(_chars.Length);
    }

    public void Clear()
    {
        _chars.Clear();
        _ends.Clear();
    }
}
