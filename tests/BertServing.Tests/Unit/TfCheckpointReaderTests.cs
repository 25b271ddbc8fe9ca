using BertServing.Server.Models;
using BertServing.Server.Models.Weights;
using BertServing.Tests.Support;

namespace BertServing.Tests.Unit;

/// <summary>Reading TensorFlow TensorBundle checkpoints (Google BERT's <c>bert_model.ckpt</c>) written by <see cref="TfCheckpointWriter"/>.</summary>
public sealed class TfCheckpointReaderTests : IDisposable
{
    readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("bertserving-ckpt-");

    public void Dispose() => _dir.Delete(recursive: true);

    string Prefix => Path.Combine(_dir.FullName, "bert_model.ckpt");

    /// <summary>Google BERT's variable names for 12 layers and more: enough entries for many restart points.</summary>
    static Dictionary<string, WeightTensor> BertLike()
    {
        var tensors = new Dictionary<string, WeightTensor>(StringComparer.Ordinal)
        {
            ["bert/embeddings/word_embeddings"] = Tensor([5, 4], 0),
            ["bert/embeddings/LayerNorm/gamma"] = Tensor([4], 1),
            ["bert/pooler/dense/kernel"] = Tensor([4, 4], 2),
            ["cls/predictions/output_bias"] = Tensor([], 3), // a 0-d tensor holds one value
        };
        for (var layer = 0; layer < 12; layer++)
        {
            var at = $"bert/encoder/layer_{layer}/";
            foreach (var name in new[] { "attention/self/query", "attention/self/key", "attention/self/value", "attention/output/dense", "intermediate/dense", "output/dense" })
            {
                tensors[at + name + "/kernel"] = Tensor([4, 3], tensors.Count);
                tensors[at + name + "/bias"] = Tensor([3], tensors.Count);
            }
            tensors[at + "output/LayerNorm/gamma"] = Tensor([4], tensors.Count);
            tensors[at + "output/LayerNorm/beta"] = Tensor([4], tensors.Count);
        }
        return tensors;
    }

    /// <summary>Values unique to each tensor and exact in float32, bfloat16 and half.</summary>
    static WeightTensor Tensor(int[] shape, int seed) =>
        new(shape, [.. Enumerable.Range(0, shape.Aggregate(1, (a, b) => a * b)).Select(i => (seed % 64 - 32) + (i % 8) * 0.125f)]);

    static void AssertSame(IReadOnlyDictionary<string, WeightTensor> expected, Dictionary<string, WeightTensor> actual)
    {
        Assert.Equal(expected.Keys.Order(StringComparer.Ordinal), actual.Keys.Order(StringComparer.Ordinal));
        foreach (var (name, tensor) in expected)
        {
            Assert.Equal(tensor.Shape, actual[name].Shape);
            Assert.Equal(tensor.Values, actual[name].Values);
        }
    }

    [Theory]
    [InlineData(int.MaxValue)] // one data block
    [InlineData(300)] // many data blocks behind the index block
    public void Reads_back_every_tensor_with_its_shape_and_values(int blockBytes)
    {
        var tensors = BertLike();
        TfCheckpointWriter.Write(Prefix, tensors, blockBytes: blockBytes);

        var read = TfCheckpointReader.Read(Prefix);

        Assert.Equal(172, read.Count);
        AssertSame(tensors, read);
        Assert.Equal([4, 3], read["bert/encoder/layer_10/attention/self/query/kernel"].Shape);
        Assert.Equal([-31f, -30.875f, -30.75f, -30.625f], read["bert/embeddings/LayerNorm/gamma"].Values);
        Assert.Empty(read["cls/predictions/output_bias"].Shape);
        Assert.Equal([-29f], read["cls/predictions/output_bias"].Values);
    }

    [Theory]
    [InlineData(TfStorage.DtHalf)]
    [InlineData(TfStorage.DtBFloat16)]
    public void Widens_16_bit_tensors_to_float32(TfStorage storage)
    {
        var tensors = new Dictionary<string, WeightTensor>
        {
            ["bert/encoder/layer_10/output/LayerNorm/gamma"] = new([2, 3], [1f, -2.5f, 0.375f, 0f, 1024f, -0.0078125f]),
        };
        TfCheckpointWriter.Write(Prefix, tensors, storage: storage);

        var tensor = TfCheckpointReader.Read(Prefix)["bert/encoder/layer_10/output/LayerNorm/gamma"];

        Assert.Equal([2, 3], tensor.Shape);
        Assert.Equal([1f, -2.5f, 0.375f, 0f, 1024f, -0.0078125f], tensor.Values);
    }

    [Fact]
    public void Skips_the_int64_global_step()
    {
        var tensors = new Dictionary<string, WeightTensor> { ["bert/pooler/dense/bias"] = new([3], [0.5f, -1f, 2f]), ["output_weights"] = new([1, 2], [3f, 4f]) };
        TfCheckpointWriter.Write(Prefix, tensors, globalStep: 1_000_000);

        var read = TfCheckpointReader.Read(Prefix);

        Assert.Equal(["bert/pooler/dense/bias", "output_weights"], read.Keys.Order(StringComparer.Ordinal));
        Assert.Equal([0.5f, -1f, 2f], read["bert/pooler/dense/bias"].Values);
        Assert.Equal([3f, 4f], read["output_weights"].Values);
    }

    [Fact]
    public void A_flipped_data_byte_fails_the_tensor_CRC()
    {
        // The writer stores data in insertion order, so the pooler bias is the second tensor, at bytes 8..20.
        var tensors = new Dictionary<string, WeightTensor> { ["output_bias"] = new([2], [1f, 2f]), ["bert/pooler/dense/bias"] = new([3], [0.5f, -1f, 2f]) };
        TfCheckpointWriter.Write(Prefix, tensors, globalStep: 7);
        var data = Prefix + ".data-00000-of-00001";
        var bytes = File.ReadAllBytes(data);
        bytes[13] ^= 0x10;
        File.WriteAllBytes(data, bytes);

        var e = Assert.Throws<ModelLoadException>(() => TfCheckpointReader.Read(Prefix));

        Assert.Contains("'bert/pooler/dense/bias' fails its CRC32C check", e.Message, StringComparison.Ordinal);
        Assert.Contains(data, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_truncated_data_file_is_reported()
    {
        TfCheckpointWriter.Write(Prefix, new Dictionary<string, WeightTensor> { ["bert/pooler/dense/bias"] = new([3], [0.5f, -1f, 2f]) });
        using (var data = File.OpenWrite(Prefix + ".data-00000-of-00001"))
            data.SetLength(10);

        var e = Assert.Throws<ModelLoadException>(() => TfCheckpointReader.Read(Prefix));

        Assert.Contains(".data-00000-of-00001 is truncated: tensor 'bert/pooler/dense/bias' is stored at bytes 0..12 but the file has 10", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_shard_names_the_file_and_a_tensor_in_it()
    {
        TfCheckpointWriter.Write(Prefix, BertLike());
        File.Delete(Prefix + ".data-00000-of-00001");

        var e = Assert.Throws<ModelLoadException>(() => TfCheckpointReader.Read(Prefix));

        Assert.StartsWith($"Cannot read the TensorFlow checkpoint data file {Prefix}.data-00000-of-00001, which holds tensor 'bert/embeddings/LayerNorm/gamma'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_index_is_reported()
    {
        var e = Assert.Throws<ModelLoadException>(() => TfCheckpointReader.Read(Prefix));

        Assert.StartsWith($"Cannot read the TensorFlow checkpoint index {Prefix}.index", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_index_without_the_table_magic_is_refused()
    {
        TfCheckpointWriter.Write(Prefix, BertLike());
        var index = File.ReadAllBytes(Prefix + ".index");
        index[^1] ^= 0xff;
        File.WriteAllBytes(Prefix + ".index", index);

        var e = Assert.Throws<ModelLoadException>(() => TfCheckpointReader.Read(Prefix));

        Assert.StartsWith($"{Prefix}.index is not a valid TensorFlow checkpoint index: bad magic number 0x244775248b80fb57", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_short_file_is_refused()
    {
        TfCheckpointWriter.Write(Prefix, BertLike());
        File.WriteAllBytes(Prefix + ".index", [1, 2, 3]);

        var e = Assert.Throws<ModelLoadException>(() => TfCheckpointReader.Read(Prefix));

        Assert.Contains("shorter than the 48-byte table footer", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_corrupt_index_block_fails_its_CRC()
    {
        TfCheckpointWriter.Write(Prefix, BertLike());
        var index = File.ReadAllBytes(Prefix + ".index");
        index[40] ^= 0x01; // inside the first data block's keys
        File.WriteAllBytes(Prefix + ".index", index);

        var e = Assert.Throws<ModelLoadException>(() => TfCheckpointReader.Read(Prefix));

        Assert.Contains("the block at offset 0 fails its CRC32C check", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_writers_CRC32C_matches_the_published_check_value()
    {
        // RFC 3720 (iSCSI) check value of CRC32C over "123456789"; the writer's CRC is the oracle for the reader's.
        Assert.Equal(0xE3069283u, TfCheckpointWriter.Crc32C("123456789"u8));
    }
}
