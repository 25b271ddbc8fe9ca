using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using Google.Protobuf;
using BertServing.Server.Models.Weights;

namespace BertServing.Tests.Support;

/// <summary>How <see cref="TfCheckpointWriter"/> stores the values (TensorFlow's DataType numbers).</summary>
public enum TfStorage
{
    DtFloat = 1,
    DtBFloat16 = 14,
    DtHalf = 19,
}

/// <summary>
/// Writes a single-shard TensorFlow checkpoint (TensorBundle V2) as <c>tf.train.Saver</c> does: <c>prefix.index</c>, a
/// LevelDB table of <c>BundleEntryProto</c>s under the empty-key header, and <c>prefix.data-00000-of-00001</c>.
/// </summary>
public static class TfCheckpointWriter
{
    const int DtInt64 = 9;
    const ulong TableMagic = 0xdb4775248b80fb57;

    /// <summary>
    /// Writes <paramref name="tensors"/>, plus an int64 scalar <c>global_step</c> when <paramref name="globalStep"/> is
    /// given. Data blocks are cut once they reach <paramref name="blockBytes"/>, so small values give several.
    /// </summary>
    public static void Write(
        string prefix,
        IReadOnlyDictionary<string, WeightTensor> tensors,
        long? globalStep = null,
        TfStorage storage = TfStorage.DtFloat,
        int blockBytes = int.MaxValue)
    {
        // Like TensorFlow, data goes in the order tensors are added and the index is sorted, so offsets are not monotonic in key order.
        var entries = new List<(byte[] Key, byte[] Value)>();
        using (var data = File.Create(prefix + ".data-00000-of-00001"))
        {
            foreach (var (name, tensor) in tensors)
                entries.Add((Encoding.UTF8.GetBytes(name), AppendTensor(data, (int)storage, tensor.Shape, Encode(tensor.Values, storage))));
            if (globalStep is { } step)
            {
                var bytes = new byte[sizeof(long)];
                BinaryPrimitives.WriteInt64LittleEndian(bytes, step);
                entries.Add(("global_step"u8.ToArray(), AppendTensor(data, DtInt64, [], bytes)));
            }
        }
        entries.Sort((a, b) => a.Key.AsSpan().SequenceCompareTo(b.Key));
        entries.Insert(0, ([], Header()));
        File.WriteAllBytes(prefix + ".index", Table(entries, blockBytes));
    }

    static byte[] Encode(float[] values, TfStorage storage) => storage switch
    {
        TfStorage.DtFloat => MemoryMarshal.AsBytes(values.AsSpan()).ToArray(),
        TfStorage.DtHalf => MemoryMarshal.AsBytes(values.Select(v => (Half)v).ToArray().AsSpan()).ToArray(),
        _ => MemoryMarshal.AsBytes(values.Select(v => (ushort)(BitConverter.SingleToUInt32Bits(v) >> 16)).ToArray().AsSpan()).ToArray(),
    };

    /// <summary>Appends the tensor's bytes to the data file and returns its serialized <c>BundleEntryProto</c>.</summary>
    static byte[] AppendTensor(FileStream data, int dtype, int[] shape, byte[] bytes)
    {
        var offset = data.Position;
        data.Write(bytes);
        return Proto(o =>
        {
            o.WriteTag(1, WireFormat.WireType.Varint);
            o.WriteEnum(dtype);
            // TensorShapeProto { repeated Dim dim = 2 { int64 size = 1 } }; a scalar's shape is present and empty.
            o.WriteTag(2, WireFormat.WireType.LengthDelimited);
            o.WriteBytes(ByteString.CopyFrom(Proto(s =>
            {
                foreach (var size in shape)
                {
                    s.WriteTag(2, WireFormat.WireType.LengthDelimited);
                    s.WriteBytes(ByteString.CopyFrom(Proto(d =>
                    {
                        d.WriteTag(1, WireFormat.WireType.Varint);
                        d.WriteInt64(size);
                    })));
                }
            })));
            // shard_id = 3 is 0, the proto default, so it is left out as protobuf does.
            if (offset != 0)
            {
                o.WriteTag(4, WireFormat.WireType.Varint);
                o.WriteInt64(offset);
            }
            o.WriteTag(5, WireFormat.WireType.Varint);
            o.WriteInt64(bytes.Length);
            o.WriteTag(6, WireFormat.WireType.Fixed32);
            o.WriteFixed32(MaskedCrc32C(bytes));
        });
    }

    /// <summary>BundleHeaderProto { num_shards = 1, endianness = LITTLE (0, omitted), version { producer = 1 } }.</summary>
    static byte[] Header() => Proto(o =>
    {
        o.WriteTag(1, WireFormat.WireType.Varint);
        o.WriteInt32(1);
        o.WriteTag(3, WireFormat.WireType.LengthDelimited);
        o.WriteBytes(ByteString.CopyFrom(Proto(v =>
        {
            v.WriteTag(1, WireFormat.WireType.Varint);
            v.WriteInt32(1);
        })));
    });

    static byte[] Proto(Action<CodedOutputStream> write)
    {
        using var buffer = new MemoryStream();
        using (var output = new CodedOutputStream(buffer, leaveOpen: true))
            write(output);
        return buffer.ToArray();
    }

    /// <summary>A LevelDB table: data blocks, an empty metaindex block, an index block (one entry per data block), the footer.</summary>
    static byte[] Table(List<(byte[] Key, byte[] Value)> entries, int blockBytes)
    {
        using var file = new MemoryStream();
        var index = new List<(byte[] Key, byte[] Value)>();
        for (var first = 0; first < entries.Count;)
        {
            var last = first;
            var size = 0;
            while (last < entries.Count && (last == first || size < blockBytes))
                size += entries[last].Key.Length + entries[last++].Value.Length;
            // The block's last key separates it from the next, as LevelDB's index needs (LevelDB shortens it; any separator works).
            index.Add((entries[last - 1].Key, Handle(WriteBlock(file, Block(entries[first..last], restartInterval: 16)))));
            first = last;
        }
        var metaindex = WriteBlock(file, Block([], restartInterval: 16));
        var indexHandle = WriteBlock(file, Block(index, restartInterval: 1));

        // Footer: both handles, zero-padded to 40 bytes, then the magic number.
        var footer = new byte[48];
        byte[] handles = [.. Handle(metaindex), .. Handle(indexHandle)];
        handles.CopyTo(footer, 0);
        BinaryPrimitives.WriteUInt64LittleEndian(footer.AsSpan(40), TableMagic);
        file.Write(footer);
        return file.ToArray();
    }

    static (ulong Offset, ulong Size) WriteBlock(MemoryStream file, byte[] block)
    {
        var handle = ((ulong)file.Position, (ulong)block.Length);
        file.Write(block);
        // Trailer: compression type 0 (none), then the masked CRC32C of the contents and that type byte.
        var trailer = new byte[5];
        BinaryPrimitives.WriteUInt32LittleEndian(trailer.AsSpan(1), MaskedCrc32C([.. block, 0]));
        file.Write(trailer);
        return handle;
    }

    static byte[] Handle((ulong Offset, ulong Size) handle) => Proto(o =>
    {
        o.WriteUInt64(handle.Offset);
        o.WriteUInt64(handle.Size);
    });

    /// <summary>Entries with keys prefix-compressed against their predecessor, a full key every <paramref name="restartInterval"/>.</summary>
    static byte[] Block(List<(byte[] Key, byte[] Value)> entries, int restartInterval)
    {
        using var buffer = new MemoryStream();
        var restarts = new List<uint> { 0 };
        var previous = Array.Empty<byte>();
        for (var i = 0; i < entries.Count; i++)
        {
            var (key, value) = entries[i];
            var shared = 0;
            if (i % restartInterval == 0 && i > 0)
                restarts.Add((uint)buffer.Length);
            else
                shared = key.AsSpan().CommonPrefixLength(previous);
            buffer.Write(Proto(o =>
            {
                o.WriteUInt32((uint)shared);
                o.WriteUInt32((uint)(key.Length - shared));
                o.WriteUInt32((uint)value.Length);
            }));
            buffer.Write(key.AsSpan(shared));
            buffer.Write(value);
            previous = key;
        }
        Span<byte> word = stackalloc byte[4];
        foreach (var restart in restarts.Append((uint)restarts.Count))
        {
            BinaryPrimitives.WriteUInt32LittleEndian(word, restart);
            buffer.Write(word);
        }
        return buffer.ToArray();
    }

    /// <summary>
    /// Masked CRC32C, computed bit by bit from the Castagnoli polynomial: independent of the reader's hardware
    /// instruction, so the two cannot share a mistake.
    /// </summary>
    public static uint MaskedCrc32C(ReadOnlySpan<byte> data)
    {
        var crc = Crc32C(data);
        return ((crc >> 15) | (crc << 17)) + 0xa282ead8;
    }

    /// <summary>Plain (unmasked) CRC32C.</summary>
    public static uint Crc32C(ReadOnlySpan<byte> data)
    {
        var crc = ~0u;
        foreach (var b in data)
        {
            crc ^= b;
            for (var bit = 0; bit < 8; bit++)
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0x82F63B78 : crc >> 1;
        }
        return ~crc;
    }
}
