using System.Text.Json;

namespace BertServing.Server.Models;

/// <summary>
/// Writes the built-in model as a plain model folder (the layout <see cref="ModelFolder"/> reads), so it can be
/// served with <c>-model_dir</c>, inspected, or copied into an image like any other model.
/// </summary>
public static class ModelExporter
{
    /// <summary>Writes the folder; existing files of the same names are replaced.</summary>
    public static void ExportBuiltIn(string dir)
    {
        Directory.CreateDirectory(Path.Combine(dir, "1_Pooling"));
        using (var onnx = BuiltInModel.OpenOnnx())
        using (var file = File.Create(Path.Combine(dir, "model.onnx")))
            onnx.CopyTo(file);
        using (var vocab = new StreamReader(BuiltInModel.OpenVocabulary()))
        {
            // The package's vocab has CRLF line ends; write plain LF lines.
            var lines = new List<string>();
            while (vocab.ReadLine() is { } line)
                lines.Add(line);
            File.WriteAllText(Path.Combine(dir, "vocab.txt"), string.Join('\n', lines) + "\n");
        }
        WriteJson(dir, "config.json", new Dictionary<string, object>
        {
            ["model_type"] = "bert",
            ["_name_or_path"] = "sentence-transformers/" + BuiltInModel.Name,
            ["hidden_size"] = BuiltInModelSpec.Dimension,
            ["num_hidden_layers"] = 6,
            ["num_attention_heads"] = 12,
            ["intermediate_size"] = 1536,
            ["max_position_embeddings"] = 512,
            ["vocab_size"] = 30522,
        });
        WriteJson(dir, "tokenizer_config.json", new Dictionary<string, object> { ["do_lower_case"] = true });
        WriteJson(dir, "sentence_bert_config.json", new Dictionary<string, object> { ["max_seq_length"] = 256 });
        WriteJson(dir, Path.Combine("1_Pooling", "config.json"), new Dictionary<string, object>
        {
            ["word_embedding_dimension"] = BuiltInModelSpec.Dimension,
            ["pooling_mode_cls_token"] = false,
            ["pooling_mode_mean_tokens"] = true,
            ["pooling_mode_max_tokens"] = false,
        });
    }

    static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    static void WriteJson(string dir, string file, Dictionary<string, object> content) =>
        File.WriteAllText(Path.Combine(dir, file), JsonSerializer.Serialize(content, Indented) + "\n");
}
