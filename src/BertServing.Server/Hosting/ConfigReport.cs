using System.Globalization;
using System.Runtime.InteropServices;
using BertServing.Server.Options;

namespace BertServing.Server.Hosting;

/// <summary>
/// The SHOW_CONFIG dictionary under bert-as-service's keys: every argument (pooling_strategy as its enum integer,
/// -cased_tokenization reported as do_lower_case), the process description, and our own additions.
/// </summary>
static class ConfigReport
{
    /// <summary>
    /// The version reported as <c>server_version</c>. bert-serving-client 1.10 refuses a server whose version differs
    /// from its own unless <c>check_version=False</c>; our product version is in <c>bertserving_version</c>.
    /// </summary>
    public const string CompatibleServerVersion = "1.10.0";

    public static Func<Dictionary<string, object?>> Create(ServerOptions o, EncodingEngine engine, int port, int portOut)
    {
        var started = PythonTime(DateTime.Now);
        var settings = engine.Settings;
        var fixedPart = new Dictionary<string, object?>
        {
            ["model_dir"] = o.ModelDir ?? "(built-in all-MiniLM-L6-v2)",
            ["tuned_model_dir"] = o.TunedModelDir,
            ["ckpt_name"] = o.CkptName,
            ["config_name"] = o.ConfigName,
            ["graph_tmp_dir"] = o.GraphTmpDir, // null when defaulted, as bas reports it
            ["max_seq_len"] = settings.MaxSeqLen,
            ["do_lower_case"] = settings.DoLowerCase,
            ["pooling_layer"] = settings.PoolingLayer,
            ["pooling_strategy"] = (int)settings.Pooling,
            ["mask_cls_sep"] = o.MaskClsSep,
            ["no_special_token"] = o.NoSpecialToken,
            ["show_tokens_to_client"] = o.ShowTokensToClient,
            ["no_position_embeddings"] = o.NoPositionEmbeddings,
            ["fixed_embed_length"] = o.FixedEmbedLength,
            ["port"] = port,
            ["port_out"] = portOut,
            ["http_port"] = o.HttpPort,
            ["http_max_connect"] = o.HttpMaxConnect,
            ["cors"] = o.Cors,
            ["bind_ip"] = o.BindIp,
            ["num_worker"] = o.NumWorker,
            ["max_batch_size"] = o.MaxBatchSize,
            ["priority_batch_size"] = o.PriorityBatchSize,
            ["cpu"] = o.Cpu,
            ["xla"] = o.Xla,
            ["fp16"] = o.Fp16,
            ["gpu_memory_fraction"] = o.GpuMemoryFraction,
            ["device_map"] = o.DeviceMap,
            ["prefetch_size"] = o.PrefetchSize,
            ["verbose"] = o.Verbose,
            ["max_batch_tokens"] = o.MaxBatchTokens,
            ["max_request_sentences"] = o.MaxRequestSentences,
            ["max_queued_requests"] = o.MaxQueuedRequests,
            ["http_api_key"] = o.HttpApiKey is null ? null : "(set)",
            ["http_max_body"] = o.HttpMaxBody,
            ["max_queued_sentences"] = o.MaxQueuedSentences,
            ["max_sentence_chars"] = o.MaxSentenceChars,
            ["max_message_bytes"] = o.MaxMessageBytes,
            ["curve"] = o.CurveKeyFile is not null,
            ["quantize"] = o.Quantize,
            ["enable_termination"] = o.EnableTermination,
            ["termination_token"] = o.TerminationToken is null ? null : "(set)",
            // bert-as-service's process description, mapped onto ours: one process, in-process queues instead of ipc sockets.
            ["num_process"] = 1,
            ["ventilator -> worker"] = new[] { "inproc:pipeline" },
            ["worker -> sink"] = "inproc:job-completion",
            ["ventilator <-> sink"] = "inproc:xpub",
            ["num_concurrent_socket"] = 1,
            ["tensorflow_version"] = Array.Empty<string>(),
            ["python_version"] = null,
            ["server_version"] = CompatibleServerVersion,
            ["pyzmq_version"] = null,
            ["zmq_version"] = "NetMQ " + typeof(NetMQ.NetMQSocket).Assembly.GetName().Version,
            ["server_start_time"] = started,
            ["bertserving_version"] = ServerVersion.Current,
            ["onnxruntime_version"] = typeof(Microsoft.ML.OnnxRuntime.InferenceSession).Assembly.GetName().Version?.ToString(),
            ["dotnet_version"] = RuntimeInformation.FrameworkDescription,
            ["model"] = engine.ModelName,
            ["output_dimension"] = engine.Dimension,
            ["devices"] = engine.Devices,
        };
        return () => new Dictionary<string, object?>(fixedPart)
        {
            ["client"] = null,
            ["server_current_time"] = PythonTime(DateTime.Now),
        };
    }

    /// <summary>Python's <c>str(datetime.now())</c>, which bert-as-service reports: 2026-12-04 09:07:04.123456.</summary>
    static string PythonTime(DateTime time) =>
        time.ToString(time.Ticks % TimeSpan.TicksPerSecond < 10 ? "yyyy-MM-dd HH:mm:ss" : "yyyy-MM-dd HH:mm:ss.ffffff", CultureInfo.InvariantCulture); // Python omits zero microseconds
}
