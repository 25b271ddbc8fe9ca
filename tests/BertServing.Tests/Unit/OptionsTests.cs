using BertServing.Server.Models;
using BertServing.Server.Options;
using CommandLine = BertServing.Server.Hosting.CommandLine;

namespace BertServing.Tests.Unit;

public sealed class OptionsTests
{
    static ServerOptions Parse(params string[] args)
    {
        var parse = CommandLine.Build().Parse(args);
        Assert.Empty(parse.Errors);
        var options = CommandLine.ToOptions(parse, out var error);
        Assert.Null(error);
        return options;
    }

    [Fact]
    public void Defaults_are_bert_as_services()
    {
        var o = Parse();
        Assert.Equal((5555, 5556, 1, 256, 25, false, false), (o.Port, o.PortOut, o.NumWorker, o.MaxBatchSize, o.MaxSeqLen, o.MaxSeqLenExplicit, o.Cpu));
        Assert.Null(o.ModelDir);
    }

    [Theory]
    [InlineData("-max_seq_len", "40")]
    [InlineData("-max_seq_len=40")]
    [InlineData("--max_seq_len", "40")]
    [InlineData("--max_seq_len=40")]
    public void Flags_take_every_bas_spelling(params string[] args)
    {
        var o = Parse(args);
        Assert.Equal(40, o.MaxSeqLen);
        Assert.True(o.MaxSeqLenExplicit);
    }

    [Fact]
    public void Port_aliases_and_none_and_pooling_names()
    {
        var o = Parse("-port_in", "7000", "-port_result", "7001", "-max_seq_len", "none", "-pooling_strategy", "cls_token", "-cpu");
        Assert.Equal((7000, 7001, null, PoolingStrategy.FirstToken, true), (o.Port, o.PortOut, o.MaxSeqLen, o.PoolingStrategy, o.Cpu));
        Assert.Equal(7000, Parse("-port_data", "7000").Port);
    }

    [Theory]
    [InlineData("-port", "5555", "-port_out", "5555", "must differ")]
    [InlineData("-num_worker", "0", "", "", "-num_worker must be at least 1")]
    [InlineData("-max_seq_len", "3", "", "", "must be > 3")]
    [InlineData("-bind_ip", "localhost:80", "", "", "-bind_ip must be * or an IP address of this machine")]
    [InlineData("-bind_ip", "192.0.2.10", "", "", "-bind_ip must be * or an IP address of this machine")]
    [InlineData("-max_queued_sentences", "50000", "", "", "-max_queued_sentences (50000) must be at least -max_request_sentences (100000)")]
    public void Validation_names_the_flag(string a, string b, string c, string d, string expected)
    {
        var options = Parse([.. new[] { a, b, c, d }.Where(s => s.Length > 0)]);
        Assert.Contains(expected, options.Validate(), StringComparison.Ordinal);
    }

    [Fact]
    public void Client_timeouts_are_positive_bounded_or_infinite()
    {
        Assert.Null(new BertServing.Client.BertClientOptions { Timeout = Timeout.InfiniteTimeSpan }.Validate());
        Assert.Null(new BertServing.Client.BertClientOptions { Timeout = BertServing.Client.BertClientOptions.MaxTimeout }.Validate());
        Assert.Contains("use Timeout.InfiniteTimeSpan", new BertServing.Client.BertClientOptions { Timeout = TimeSpan.FromDays(13) }.Validate(), StringComparison.Ordinal);
        Assert.Contains("must be positive", new BertServing.Client.BertClientOptions { Timeout = TimeSpan.Zero }.Validate(), StringComparison.Ordinal);
    }

    [Fact]
    public void Explicit_flag_beats_the_model_which_beats_the_default()
    {
        var model = BuiltInModelSpec.Create();
        Assert.Equal(256, ModelSettings.Resolve(Parse(), model).MaxSeqLen);
        Assert.Equal(40, ModelSettings.Resolve(Parse("-max_seq_len", "40"), model).MaxSeqLen);
        Assert.Null(ModelSettings.Resolve(Parse("-max_seq_len", "NONE"), model).MaxSeqLen);
        Assert.Equal(512, ModelSettings.Resolve(Parse("-max_seq_len", "NONE"), model).TokenLimit);
        Assert.Equal(PoolingStrategy.ReduceMax, ModelSettings.Resolve(Parse("-pooling_strategy", "REDUCE_MAX"), model).Pooling);

        var silent = new ModelSpec { Name = "plain", ReadOnnx = () => [], OpenVocabulary = () => Stream.Null };
        var settings = ModelSettings.Resolve(Parse(), silent);
        Assert.Equal((25, PoolingStrategy.ReduceMean, true), (settings.MaxSeqLen, settings.Pooling, settings.DoLowerCase));
    }
}
