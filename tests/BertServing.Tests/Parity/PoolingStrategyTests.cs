using BertServing.Client;
using BertServing.Tests.Support;

namespace BertServing.Tests.Parity;

/// <summary>Every pooling strategy on the built-in model, checked against each other with bert-as-service's math.</summary>
public sealed class PoolingStrategyTests
{
    static readonly string[] Sentences =
    [
        "The quick brown fox jumps over the lazy dog.",
        "Short one.",
        "A somewhat longer sentence, with a comma and several more words in it than the others.",
    ];

    [Fact]
    public async Task Mean_max_is_mean_and_max_side_by_side_and_none_agrees_with_every_reduction()
    {
        var servers = await FlaggedServer.StartAllAsync(
            ["-pooling_strategy", "REDUCE_MEAN"], ["-pooling_strategy", "REDUCE_MAX"], ["-pooling_strategy", "REDUCE_MEAN_MAX"],
            ["-pooling_strategy", "CLS_TOKEN"], ["-pooling_strategy", "SEP_TOKEN"], ["-pooling_strategy", "NONE"]);
        try
        {
            var r = servers.Select(s => s.Client.Encode(Sentences, showTokens: true)).ToArray();
            var (mean, max, meanMax, cls, sep, none) = (r[0], r[1], r[2], r[3], r[4], r[5]);
            Assert.Equal([3, 384], mean.Shape);
            Assert.Equal([3, 768], meanMax.Shape);
            Assert.Equal([3, 256, 384], none.Shape); // T = max_seq_len (the model's 256)

            for (var i = 0; i < Sentences.Length; i++)
            {
                Assert.Equal(mean[i].ToArray(), meanMax[i][..384].ToArray());
                Assert.Equal(max[i].ToArray(), meanMax[i][384..].ToArray());

                var length = none.Tokens![i].Count;
                Assert.Equal(cls[i].ToArray(), none.TokenVector(i, 0).ToArray());
                Assert.Equal(sep[i].ToArray(), none.TokenVector(i, length - 1).ToArray());
                for (var t = length; t < 256; t++)
                    Assert.All(none.TokenVector(i, t).ToArray(), v => Assert.Equal(0f, v));

                // REDUCE_MEAN and REDUCE_MAX are the masked reductions of the NONE rows.
                var sum = new float[384];
                var top = Enumerable.Repeat(float.NegativeInfinity, 384).ToArray();
                for (var t = 0; t < length; t++)
                {
                    var row = none.TokenVector(i, t);
                    for (var d = 0; d < 384; d++)
                    {
                        sum[d] += row[d];
                        top[d] = Math.Max(top[d], row[d]);
                    }
                }
                Support.Numerics.AssertClose(sum.Select(v => v / length).ToArray(), mean[i], 1e-5f);
                Assert.Equal(top, max[i].ToArray());
            }
        }
        finally
        {
            foreach (var server in servers) server.Dispose();
        }
    }

    [Fact]
    public async Task None_with_dynamic_length_pads_to_the_longest_sentence_or_to_max_positions_when_fixed()
    {
        var servers = await FlaggedServer.StartAllAsync(
            ["-pooling_strategy", "NONE", "-max_seq_len", "NONE"],
            ["-pooling_strategy", "NONE", "-max_seq_len", "NONE", "-fixed_embed_length"]);
        try
        {
            var dynamic = servers[0].Client.Encode(Sentences, showTokens: true);
            var longest = dynamic.Tokens!.Max(t => t.Count);
            Assert.Equal([3, longest, 384], dynamic.Shape);
            var fixedLength = servers[1].Client.Encode(Sentences);
            Assert.Equal([3, 512, 384], fixedLength.Shape);
            Assert.Equal(dynamic.TokenVector(1, 0).ToArray(), fixedLength.TokenVector(1, 0).ToArray());
        }
        finally
        {
            foreach (var server in servers) server.Dispose();
        }
    }

    [Fact]
    public async Task Cls_pooled_is_the_models_tanh_pooler_output()
    {
        var servers = await FlaggedServer.StartAllAsync(["-pooling_strategy", "CLS_POOLED"], ["-pooling_strategy", "CLS_TOKEN"]);
        try
        {
            var pooled = servers[0].Client.Encode(Sentences);
            var cls = servers[1].Client.Encode(Sentences);
            Assert.Equal([3, 384], pooled.Shape);
            Assert.All(pooled.Values.ToArray(), v => Assert.InRange(v, -1f, 1f)); // tanh
            Assert.True(Similarity.Cosine(pooled[0], cls[0]) < 0.99f, "the pooler output is not the raw [CLS] vector");
        }
        finally
        {
            foreach (var server in servers) server.Dispose();
        }
    }

    [Fact]
    public async Task Mask_cls_sep_takes_cls_and_sep_out_of_attention_and_pooling()
    {
        var servers = await FlaggedServer.StartAllAsync(
            ["-pooling_strategy", "NONE", "-mask_cls_sep"], ["-mask_cls_sep"], []);
        try
        {
            var none = servers[0].Client.Encode(Sentences, showTokens: true);
            var masked = servers[1].Client.Encode(Sentences);
            var plain = servers[2].Client.Encode(Sentences);
            for (var i = 0; i < Sentences.Length; i++)
            {
                var length = none.Tokens![i].Count;
                Assert.Equal("[CLS]", none.Tokens[i][0]); // tokens are shown even though masked, as bert-as-service does
                Assert.All(none.TokenVector(i, 0).ToArray(), v => Assert.Equal(0f, v));
                Assert.All(none.TokenVector(i, length - 1).ToArray(), v => Assert.Equal(0f, v));
                Assert.Contains(none.TokenVector(i, 1).ToArray(), v => v != 0f);

                // Mean over the unmasked rows only.
                var sum = new float[384];
                for (var t = 1; t < length - 1; t++)
                    for (var d = 0; d < 384; d++)
                        sum[d] += none.TokenVector(i, t)[d];
                Support.Numerics.AssertClose(sum.Select(v => v / (length - 2)).ToArray(), masked[i], 1e-5f);
                Assert.True(Similarity.Cosine(masked[i], plain[i]) < 0.99999f);
            }
        }
        finally
        {
            foreach (var server in servers) server.Dispose();
        }
    }
}
