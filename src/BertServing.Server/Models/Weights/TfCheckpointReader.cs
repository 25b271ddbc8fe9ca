using System.Buffers.Binary;
using System.Globalization;
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Text;
using Google.Protobuf;
using Microsoft.Win32.SafeHandles;

namespace BertServing.Server.Models.Weights;

/// <summary>
/// Reads a TensorFlow checkpoint in the TensorBundle V2 format that <c>tf.train.Saver</c> writes (Google's
/// <c>bert_model.ckpt</c>): <c>prefix.index</c> is a LevelDB table mapping each variable name to a
/// <c>BundleEntryProto</c> (dtype, shape, shard, byte range, masked CRC32C), and <c>prefix.data-0000K-of-0000N</c>
/// hold the raw little-endian values. DT_FLOAT, DT_HALF and DT_BFLOAT16 tensors are returned as float32; others
/// (the int64 <c>global_step</c>) are skipped.
/// </summary>
public static class TfCheckpointReader
{
    const ulong TableMagic = 0xdb4775248b80fb57;
    const int FooterLength = 48;
    const int BlockTrailerLength = 5;

    // Protobuf tags (field number << 3 | wire type) of the few fields read from TensorFlow's protos.
    const uint Varint = 0, LengthDelimited = 2, Fixed32 = 5;
    const uint HeaderNumShards = 1 << 3 | Varint, HeaderEndianness = 2 << 3 | Varint, HeaderVersion = 3 << 3 | LengthDelimited;
    const uint VersionMinConsumer = 2 << 3 | Varint;
    const uint EntryDtype = 1 << 3 | Varint, EntryShape = 2 << 3 | LengthDelimited, EntryShardId = 3 << 3 | Varint,
        EntryOffset = 4 << 3 | Varint, EntrySize = 5 << 3 | Varint, EntryCrc32C = 6 << 3 | Fixed32, EntrySlices = 7 << 3 | LengthDelimited;
    const uint ShapeDim = 2 << 3 | LengthDelimited, ShapeUnknownRank = 3 << 3 | Varint, DimSize = 1 << 3 | Varint;

    const int DtFloat = 1, DtBFloat16 = 14, DtHalf = 19;

    // The TensorBundle format version this reader implements (TensorFlow's kTensorBundleVersion).
    const int BundleVersion = 1;

    /// <summary>
    /// Every floating-point tensor of the checkpoint at <paramref name="prefix"/> (e.g. <c>/m/bert_model.ckpt</c>), by
    /// variable name; <see cref="ModelLoadException"/> when a file is missing, corrupt or in an unsupported format.
    /// </summary>
    public static Dictionary<string, WeightTensor> Read(string prefix)
    {
        var indexPath = prefix + ".index";
        byte[] index;
        try
        {
            index = File.ReadAllBytes(indexPath);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ModelLoadException($"Cannot read the TensorFlow checkpoint index {indexPath}: {e.Message}");
        }

        List<(string Key, ArraySegment<byte> Value)> entries;
        try
        {
            entries = ReadTable(index, indexPath);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw BadIndex(indexPath, "an entry is truncated or malformed: " + e.Message);
        }
        if (entries.Count == 0 || entries[0].Key.Length != 0)
            throw BadIndex(indexPath, "it has no header entry (the empty key)");
        var shards = ParseHeader(entries[0].Value, indexPath);

        var tensors = new Dictionary<string, WeightTensor>(StringComparer.Ordinal);
        var files = new Dictionary<int, (string Path, SafeFileHandle Handle)>();
        try
        {
            foreach (var (name, value) in entries.Skip(1))
            {
                var entry = ParseEntry(value, name, indexPath);
                if (entry.Dtype is not (DtFloat or DtHalf or DtBFloat16))
                    continue;
                if (entry.ShardId < 0 || entry.ShardId >= shards)
                    throw BadIndex(indexPath, $"tensor '{name}' is in shard {entry.ShardId} but the checkpoint has {shards}");
                if (!files.TryGetValue(entry.ShardId, out var shard))
                    files[entry.ShardId] = shard = OpenShard(prefix, entry.ShardId, shards, name);
                tensors[name] = ReadTensor(shard.Handle, shard.Path, name, entry);
            }
        }
        finally
        {
            foreach (var (_, handle) in files.Values)
                handle.Dispose();
        }
        return tensors;
    }

    /// <summary>Every key and value of a LevelDB table, in key order: the index block points at the data blocks.</summary>
    static List<(string Key, ArraySegment<byte> Value)> ReadTable(byte[] file, string path)
    {
        if (file.Length < FooterLength)
            throw BadIndex(path, $"it is {file.Length} bytes, shorter than the {FooterLength}-byte table footer");
        var magic = BinaryPrimitives.ReadUInt64LittleEndian(file.AsSpan(file.Length - 8));
        if (magic != TableMagic)
            throw BadIndex(path, $"bad magic number 0x{magic:x16} at its end (a LevelDB table ends with 0x{TableMagic:x16})");

        // The footer holds the metaindex handle, then the index handle; TensorFlow's metaindex block is empty.
        var footer = new CodedInputStream(file, file.Length - FooterLength, FooterLength - 8);
        _ = ReadHandle(footer);
        var (indexOffset, indexSize) = ReadHandle(footer);

        var entries = new List<(string, ArraySegment<byte>)>();
        foreach (var (_, handle) in ReadBlock(file, indexOffset, indexSize, path))
        {
            var (offset, size) = ReadHandle(new CodedInputStream(handle.Array!, handle.Offset, handle.Count));
            foreach (var (key, value) in ReadBlock(file, offset, size, path))
                entries.Add((Encoding.UTF8.GetString(key), value));
        }
        return entries;
    }

    static (ulong Offset, ulong Size) ReadHandle(CodedInputStream input) => (input.ReadUInt64(), input.ReadUInt64());

    /// <summary>
    /// The entries of the block at <paramref name="offset"/>, after checking its trailer (compression type and masked
    /// CRC32C of the contents and type byte). Keys share a prefix with their predecessor except at restart points.
    /// </summary>
    static List<(byte[] Key, ArraySegment<byte> Value)> ReadBlock(byte[] file, ulong offset, ulong size, string path)
    {
        var bodyEnd = (ulong)(file.Length - FooterLength);
        if (offset > bodyEnd || size > bodyEnd - offset || BlockTrailerLength > bodyEnd - offset - size)
            throw BadIndex(path, $"a block at offset {offset} of {size} bytes runs past the end of the file ({file.Length} bytes)");
        int start = (int)offset, length = (int)size;
        var type = file[start + length];
        var stored = BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan(start + length + 1));
        var actual = MaskedCrc32C(file.AsSpan(start, length + 1));
        if (stored != actual)
            throw BadIndex(path, $"the block at offset {offset} fails its CRC32C check (stored 0x{stored:x8}, computed 0x{actual:x8})");
        if (type != 0)
            throw BadIndex(path, $"the block at offset {offset} is compressed (type {type}); only uncompressed tables, which TensorFlow writes, are supported");
        if (length < 4)
            throw BadIndex(path, $"the block at offset {offset} is too short to hold its restart count");

        var restarts = BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan(start + length - 4));
        if (restarts > (uint)(length - 4) / 4)
            throw BadIndex(path, $"the block at offset {offset} claims {restarts} restart points, more than fit in it");
        var end = start + length - 4 - (int)restarts * 4;

        var entries = new List<(byte[], ArraySegment<byte>)>();
        var key = Array.Empty<byte>();
        for (var position = start; position < end;)
        {
            var header = new CodedInputStream(file, position, end - position);
            var origin = header.Position;
            var (shared, unshared, valueLength) = (header.ReadUInt32(), header.ReadUInt32(), header.ReadUInt32());
            position += (int)(header.Position - origin);
            if (shared > key.Length || (ulong)unshared + valueLength > (ulong)(end - position))
                throw BadIndex(path, $"an entry of the block at offset {offset} does not fit in it");
            key = [.. key.AsSpan(0, (int)shared), .. file.AsSpan(position, (int)unshared)];
            position += (int)unshared;
            entries.Add((key, new ArraySegment<byte>(file, position, (int)valueLength)));
            position += (int)valueLength;
        }
        return entries;
    }

    /// <summary>The shard count from the <c>BundleHeaderProto</c>, after refusing what this reader cannot read.</summary>
    static int ParseHeader(ArraySegment<byte> value, string path)
    {
        int shards = 0, endianness = 0, minConsumer = 0;
        try
        {
            var input = new CodedInputStream(value.Array!, value.Offset, value.Count);
            for (uint tag; (tag = input.ReadTag()) != 0;)
            {
                switch (tag)
                {
                    case HeaderNumShards: shards = input.ReadInt32(); break;
                    case HeaderEndianness: endianness = input.ReadEnum(); break;
                    case HeaderVersion: minConsumer = ParseMinConsumer(input.ReadBytes()); break;
                    default: input.SkipLastField(); break;
                }
            }
        }
        catch (InvalidProtocolBufferException e)
        {
            throw BadIndex(path, "its header entry is not a valid BundleHeaderProto: " + e.Message);
        }
        if (shards < 1)
            throw BadIndex(path, $"its header gives {shards} data shards");
        if (endianness != 0)
            throw BadIndex(path, "it was written on a big-endian machine, which is not supported");
        if (minConsumer > BundleVersion)
            throw BadIndex(path, $"it needs a reader of TensorBundle version {minConsumer} or later; this one reads version {BundleVersion}");
        return shards;
    }

    static int ParseMinConsumer(ByteString version) => (int)ScalarField(version, VersionMinConsumer);

    /// <summary>The last value of varint field <paramref name="tag"/> in a message holding other fields too (0 when absent).</summary>
    static long ScalarField(ByteString message, uint tag)
    {
        var input = message.CreateCodedInput();
        long value = 0;
        for (uint read; (read = input.ReadTag()) != 0;)
        {
            if (read == tag)
                value = input.ReadInt64();
            else
                input.SkipLastField();
        }
        return value;
    }

    readonly record struct Entry(int Dtype, int[] Shape, long Count, int ShardId, long Offset, long Size, uint MaskedCrc);

    static Entry ParseEntry(ArraySegment<byte> value, string name, string path)
    {
        int dtype = 0, shardId = 0;
        long offset = 0, size = 0;
        uint crc = 0;
        long[] dims = [];
        try
        {
            var input = new CodedInputStream(value.Array!, value.Offset, value.Count);
            for (uint tag; (tag = input.ReadTag()) != 0;)
            {
                switch (tag)
                {
                    case EntryDtype: dtype = input.ReadEnum(); break;
                    case EntryShape: dims = ParseShape(input.ReadBytes(), name, path); break;
                    case EntryShardId: shardId = input.ReadInt32(); break;
                    case EntryOffset: offset = input.ReadInt64(); break;
                    case EntrySize: size = input.ReadInt64(); break;
                    case EntryCrc32C: crc = input.ReadFixed32(); break;
                    case EntrySlices: throw BadIndex(path, $"tensor '{name}' is partitioned into slices; partitioned tensors are not supported");
                    default: input.SkipLastField(); break;
                }
            }
        }
        catch (InvalidProtocolBufferException e)
        {
            throw BadIndex(path, $"the entry of tensor '{name}' is not a valid BundleEntryProto: {e.Message}");
        }
        long count = 1;
        foreach (var d in dims)
        {
            // A corrupt shape must not overflow into a plausible element count.
            if (d is < 0 or > int.MaxValue || (d > 0 && count > long.MaxValue / d))
                throw BadIndex(path, $"tensor '{name}' has an invalid shape [{string.Join(", ", dims)}]");
            count *= d;
        }
        return new Entry(dtype, [.. dims.Select(d => (int)d)], count, shardId, offset, size, crc);
    }

    static long[] ParseShape(ByteString shape, string name, string path)
    {
        var input = shape.CreateCodedInput();
        var dims = new List<long>();
        for (uint tag; (tag = input.ReadTag()) != 0;)
        {
            switch (tag)
            {
                case ShapeDim:
                    dims.Add(ScalarField(input.ReadBytes(), DimSize));
                    break;
                case ShapeUnknownRank:
                    if (input.ReadBool())
                        throw BadIndex(path, $"tensor '{name}' has an unknown rank");
                    break;
                default:
                    input.SkipLastField();
                    break;
            }
        }
        return [.. dims];
    }

    static (string Path, SafeFileHandle Handle) OpenShard(string prefix, int shard, int shards, string tensor)
    {
        var path = string.Create(CultureInfo.InvariantCulture, $"{prefix}.data-{shard:D5}-of-{shards:D5}");
        try
        {
            return (path, File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.RandomAccess));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ModelLoadException($"Cannot read the TensorFlow checkpoint data file {path}, which holds tensor '{tensor}': {e.Message}");
        }
    }

    static WeightTensor ReadTensor(SafeFileHandle file, string path, string name, Entry entry)
    {
        var width = entry.Dtype == DtFloat ? sizeof(float) : 2;
        if (entry.Count > Array.MaxLength)
            throw new ModelLoadException($"{path}: tensor '{name}' of shape [{string.Join(", ", entry.Shape)}] has more elements than one array can hold.");
        if (entry.Size != entry.Count * width)
            throw new ModelLoadException($"{path}: tensor '{name}' of shape [{string.Join(", ", entry.Shape)}] is stored as {entry.Size} bytes, not the {entry.Count * width} its shape needs.");
        var length = RandomAccess.GetLength(file);
        if (entry.Offset < 0 || entry.Offset > length - entry.Size)
            throw new ModelLoadException($"{path} is truncated: tensor '{name}' is stored at bytes {entry.Offset}..{entry.Offset + entry.Size} but the file has {length}.");

        var values = new float[entry.Count];
        // Float32 is read straight into the result, sparing a copy of what can be a 100 MB embedding table.
        Span<byte> raw = entry.Dtype == DtFloat ? MemoryMarshal.AsBytes(values.AsSpan()) : new byte[entry.Size];
        for (var read = 0; read < raw.Length;)
        {
            var n = RandomAccess.Read(file, raw[read..], entry.Offset + read);
            if (n == 0)
                throw new ModelLoadException($"{path} is truncated: tensor '{name}' ends past the end of the file.");
            read += n;
        }
        var actual = MaskedCrc32C(raw);
        if (actual != entry.MaskedCrc)
            throw new ModelLoadException($"{path}: tensor '{name}' fails its CRC32C check (stored 0x{entry.MaskedCrc:x8}, computed 0x{actual:x8}); the checkpoint is corrupt.");

        if (entry.Dtype == DtHalf)
        {
            TensorPrimitives.ConvertToSingle(MemoryMarshal.Cast<byte, Half>(raw), values);
        }
        else if (entry.Dtype == DtBFloat16)
        {
            // bfloat16 is the top half of a float32.
            var bits = MemoryMarshal.Cast<byte, ushort>(raw);
            for (var i = 0; i < values.Length; i++)
                values[i] = BitConverter.Int32BitsToSingle(bits[i] << 16);
        }
        return new WeightTensor(entry.Shape, values);
    }

    /// <summary>LevelDB's and TensorFlow's masked CRC32C: a CRC stored beside the data it covers stays a good checksum.</summary>
    static uint MaskedCrc32C(ReadOnlySpan<byte> data)
    {
        var crc = ~0u;
        var words = MemoryMarshal.Cast<byte, ulong>(data);
        foreach (var word in words)
            crc = BitOperations.Crc32C(crc, word);
        foreach (var b in data[(words.Length * sizeof(ulong))..])
            crc = BitOperations.Crc32C(crc, b);
        crc = ~crc;
        return ((crc >> 15) | (crc << 17)) + 0xa282ead8;
    }

    static ModelLoadException BadIndex(string path, string why) => new($"{path} is not a valid TensorFlow checkpoint index: {why}.");
}
