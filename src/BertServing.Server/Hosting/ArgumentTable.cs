using System.Globalization;
using BertServing.Server.Models;
using BertServing.Server.Options;

namespace BertServing.Server.Hosting;

/// <summary>Formats the options as bert-as-service prints its arguments at start: <c>'%20s = %s'</c> per line.</summary>
static class ArgumentTable
{
    public static string Format(ServerOptions o)
    {
        static string Text(object? value) => value switch
        {
            null => "None",
            bool b => b ? "True" : "False",
            IEnumerable<int> list => "[" + string.Join(", ", list) + "]",
            _ => Convert.ToString(value, CultureInfo.InvariantCulture) ?? "",
        };
        // Grouped as bert-as-service's -help groups them, then our own flags.
        var rows = new (string Name, object? Value)[]
        {
            ("model_dir", o.ModelDir ?? $"(built-in {BuiltInModel.Name})"),
            ("tuned_model_dir", o.TunedModelDir),
            ("ckpt_name", o.CkptName),
            ("config_name", o.ConfigName),
            ("graph_tmp_dir", o.GraphTmpDir ?? Models.GraphCache.DefaultDirectory),
            ("max_seq_len", o.MaxSeqLenExplicit ? o.MaxSeqLen?.ToString(CultureInfo.InvariantCulture) ?? "NONE" : "(model's own, else 25)"),
            ("cased_tokenization", o.CasedTokenization),
            ("pooling_layer", o.PoolingLayerExplicit ? o.PoolingLayer : "(-1 if the model declares pooling, else [-2])"),
            ("pooling_strategy", o.PoolingStrategyExplicit ? o.PoolingStrategy.ToName() : "(model's own, else REDUCE_MEAN)"),
            ("mask_cls_sep", o.MaskClsSep),
            ("no_special_token", o.NoSpecialToken),
            ("show_tokens_to_client", o.ShowTokensToClient),
            ("no_position_embeddings", o.NoPositionEmbeddings),
            ("fixed_embed_length", o.FixedEmbedLength),
            ("port", o.Port),
            ("port_out", o.PortOut),
            ("http_port", o.HttpPort),
            ("http_max_connect", o.HttpMaxConnect),
            ("cors", o.Cors),
            ("bind_ip", o.BindIp),
            ("num_worker", o.NumWorker),
            ("max_batch_size", o.MaxBatchSize),
            ("priority_batch_size", o.PriorityBatchSize),
            ("cpu", o.Cpu),
            ("xla", o.Xla),
            ("fp16", o.Fp16),
            ("gpu_memory_fraction", o.GpuMemoryFraction),
            ("device_map", o.DeviceMap),
            ("prefetch_size", o.PrefetchSize),
            ("verbose", o.Verbose),
            ("max_batch_tokens", o.MaxBatchTokens),
            ("max_request_sentences", o.MaxRequestSentences),
            ("max_queued_requests", o.MaxQueuedRequests),
            ("http_api_key", o.HttpApiKey is null ? null : "(set)"),
            ("http_max_body", o.HttpMaxBody),
            ("max_queued_sentences", o.MaxQueuedSentences),
            ("max_sentence_chars", o.MaxSentenceChars),
            ("max_message_bytes", o.MaxMessageBytes),
            ("curve_key_file", o.CurveKeyFile),
            ("quantize", o.Quantize),
            ("enable_termination", o.EnableTermination),
            ("termination_token", o.TerminationToken is null ? null : "(set)"),
        };
        return string.Join(Environment.NewLine, rows.Select(r => string.Create(CultureInfo.InvariantCulture, $"{r.Name,20} = {Text(r.Value)}")));
    }
}
