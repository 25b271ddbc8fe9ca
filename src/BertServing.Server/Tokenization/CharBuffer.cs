using System.Text;

namespace BertServing.Server.Tokenization;

/// <summary>A reusable, growable char buffer, so per-sentence work does not allocate once warmed up.</summary>
internal sealed class CharBuffer
{
    char[] _chars = new char[256];

    public int Length { get; private set; }

    public Span<char> Written => _chars.AsSpan(0, Length);

    public void Clear() => Length = 0;

    public void Append(ReadOnlySpan<char> chars)
    {
        chars.CopyTo(GetSpan(chars.Length));
        Length += chars.Length;
    }

    public void Append(Rune rune) => Length += rune.EncodeToUtf16(GetSpan(2));

    /// <summary>Free space of at least <paramref name="sizeHint"/> chars after <see cref="Written"/>.</summary>
    public Span<char> GetSpan(int sizeHint)
    {
        if (_chars.Length - Length < sizeHint)
            Array.Resize(ref _chars, Math.Max(_chars.Length * 2, Length + sizeHint));
        return _chars.AsSpan(Length);
    }

    /// <summary>Commits chars written into the span from <see cref="GetSpan"/>.</summary>
    public void Advance(int count) => Length += count;

    /// <summary>Drops everything from <paramref name="length"/> on.</summary>
    public void Truncate(int length) => Length = length;
}
