using BertServing.Server.Models;
using Onnx;

namespace BertServing.Tests.Unit;

/// <summary>Finding and exposing encoder layers in the built-in model's ONNX graph.</summary>
public sealed class EncoderGraphTests
{
    static readonly Lazy<byte[]> BuiltIn = new(() => BuiltInModelSpec.Create().ReadOnnx());

    [Fact]
    public void Finds_the_six_layers_of_all_MiniLM_L6_v2()
    {
        Assert.Equal(6, EncoderGraph.Parse(BuiltIn.Value).LayerCount);
    }

    [Theory]
    [InlineData(new[] { -1 }, new[] { 5 })]
    [InlineData(new[] { -6, 0, 5 }, new[] { 0, 0, 5 })]
    [InlineData(new[] { -4, -3, -2, -1 }, new[] { 2, 3, 4, 5 })]
    public void Resolves_python_style_indices(int[] requested, int[] expected) =>
        Assert.Equal(expected, EncoderGraph.ResolveLayers(requested, 6));

    [Theory]
    [InlineData(6)]
    [InlineData(-7)]
    public void Refuses_layers_out_of_range(int index)
    {
        var e = Assert.Throws<ModelLoadException>(() => EncoderGraph.ResolveLayers([index], 6));
        Assert.Contains("-6..-1 or 0..5", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Exposing_a_shallow_layer_cuts_the_deeper_ones_away()
    {
        var full = ModelProto.Parser.ParseFrom(BuiltIn.Value);
        var cut = ModelProto.Parser.ParseFrom(EncoderGraph.Parse(BuiltIn.Value).Expose([0], zeroPositions: false));
        Assert.Equal(["layer_0"], cut.Graph.Output.Select(o => o.Name));
        Assert.True(cut.Graph.Node.Count < full.Graph.Node.Count / 3, $"{cut.Graph.Node.Count} of {full.Graph.Node.Count} nodes kept");
        Assert.DoesNotContain(cut.Graph.Initializer, i => i.Name.StartsWith("encoder.layer.1.", StringComparison.Ordinal));
        Assert.Equal("6", cut.MetadataProps.Single(p => p.Key == EncoderGraph.LayerCountKey).Value);
    }
}
