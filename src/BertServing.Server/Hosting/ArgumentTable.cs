using System.Globalization;
using BertServing.Server.Models;
using BertServing.Server.Options;

namespace BertServing.Server.Hosting;

/// <summary>Formats the options as bert-as-service prints its arguments at start: <c>'%20s = %s'</c> per line.</summary>
static class ArgumentTable
{
    public static string Format(ServerOptions o)
    {
        var rows = new (string Name, object? Value)[]
        {
            ("model_dir", o.ModelDir ?? $"(built-in {BuiltInModel.Name})"),
            ("num_worker", o.NumWorker),
            ("port", o.Port),
            ("port_out", o.PortOut),
            ("max_seq_len", o.MaxSeqLenExplicit ? o.MaxSeqLen?.ToString(CultureInfo.InvariantCulture) ?? "NONE" : "(model's own, else 25)"),
            ("max_batch_size", o.MaxBatchSize),
            ("pooling_strategy", o.PoolingStrategyExplicit ? o.PoolingStrategy.ToName() : "(model's own, else REDUCE_MEAN)"),
            ("cpu", o.Cpu),
            ("device_map", o.DeviceId),
            ("verbose", o.Verbose),
            ("max_batch_tokens", o.MaxBatchTokens),
            ("max_request_sentences", o.MaxRequestSentences),
            ("max_queued_requests", o.MaxQueuedRequests),
        };
        return string.Join(Environment.NewLine, rows.Select(r => string.Create(CultureInfo.InvariantCulture, $"{r.Name,20} = {r.Value}")));
    }
}
