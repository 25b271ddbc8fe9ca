namespace BertServing.Server.Options;

/// <summary>
/// Everything <c>bertserving-start</c> can be told, with bert-as-service's names and defaults. Filled from the
/// command line by <see cref="Hosting.CommandLine"/> and checked by <see cref="Validate"/> before anything starts.
/// </summary>
public sealed class ServerOptions
{
    /// <summary><c>-model_dir</c>: folder with <c>model.onnx</c> (or <c>onnx/model.onnx</c>) and <c>vocab.txt</c>.
    /// Defaults to none: the built-in all-MiniLM-L6-v2.</summary>
    public string? ModelDir { get; set; }

    /// <summary><c>-tuned_model_dir</c>: folder of a fine-tuned model whose graph replaces <see cref="ModelDir"/>'s;
    /// the vocabulary and configs still come from <see cref="ModelDir"/>, as in bert-as-service. Defaults to none.</summary>
    public string? TunedModelDir { get; set; }

    /// <summary><c>-ckpt_name</c>: the graph file inside <see cref="TunedModelDir"/> or <see cref="ModelDir"/>. bert-as-service's
    /// default <c>bert_model.ckpt</c> names a TensorFlow checkpoint; here the default means "model.onnx, or onnx/model.onnx".</summary>
    public string CkptName { get; set; } = DefaultCkptName;

    /// <summary>bert-as-service's default for <see cref="CkptName"/>.</summary>
    public const string DefaultCkptName = "bert_model.ckpt";

    /// <summary><c>-config_name</c>: the model's JSON config in <see cref="ModelDir"/>. Defaults to <c>bert_config.json</c>,
    /// falling back to Hugging Face's <c>config.json</c> when that is absent.</summary>
    public string ConfigName { get; set; } = DefaultConfigName;

    /// <summary>bert-as-service's default for <see cref="ConfigName"/>.</summary>
    public const string DefaultConfigName = "bert_config.json";

    /// <summary><c>-graph_tmp_dir</c>: where edited graphs (layers exposed for <see cref="PoolingLayer"/>) are cached,
    /// keyed by the source graph's hash. Defaults to <c>$TMPDIR/bertserving-graphs</c>.</summary>
    public string? GraphTmpDir { get; set; }

    /// <summary><c>-cased_tokenization</c>: keep case and accents. Defaults to false (what the model declares, else lower-case).</summary>
    public bool CasedTokenization { get; set; }

    /// <summary><c>-pooling_layer</c>: encoder layers to pool, Python-indexed (-1 = last, 0 = first); several are
    /// concatenated. Defaults to [-1] when the model declares its pooling (sentence-transformers), else bert-as-service's [-2].</summary>
    public IReadOnlyList<int> PoolingLayer { get; set; } = [-2];

    /// <summary>Whether <see cref="PoolingLayer"/> was given on the command line.</summary>
    public bool PoolingLayerExplicit { get; set; }

    /// <summary><c>-mask_cls_sep</c>: give [CLS] and [SEP] mask 0, in attention and pooling. Defaults to false.</summary>
    public bool MaskClsSep { get; set; }

    /// <summary><c>-no_special_token</c>: pre-tokenized single sentences go in without [CLS]/[SEP]. Defaults to false.</summary>
    public bool NoSpecialToken { get; set; }

    /// <summary><c>-show_tokens_to_client</c>: send tokens to bert-serving-client requests (the native protocol asks
    /// per request). Defaults to false.</summary>
    public bool ShowTokensToClient { get; set; }

    /// <summary><c>-no_position_embeddings</c>: run the model with its position-embedding table zeroed, which is what
    /// bert-as-service's <c>use_position_embeddings=False</c> computes. Defaults to false.</summary>
    public bool NoPositionEmbeddings { get; set; }

    /// <summary><c>-fixed_embed_length</c>: with <c>-max_seq_len NONE</c> and <c>-pooling_strategy NONE</c>, token
    /// embeddings are padded to the model's max positions instead of the request's longest. Defaults to false.</summary>
    public bool FixedEmbedLength { get; set; }

    /// <summary><c>-bind_ip</c>: the address every port listens on: <c>*</c> (every interface, as bert-as-service binds)
    /// or one address, e.g. <c>127.0.0.1</c> for a server only this machine reaches. Defaults to <c>*</c>.</summary>
    public string BindIp { get; set; } = "*";

    /// <summary><c>-http_port</c>: HTTP front port. Defaults to none (no HTTP).</summary>
    public int? HttpPort { get; set; }

    /// <summary><c>-http_max_connect</c>: encode requests the HTTP front computes at once (bas: its client pool's size);
    /// up to <see cref="HttpQueuePerConnect"/> times as many more wait for a slot, and beyond that get 429. Defaults to 10.</summary>
    public int HttpMaxConnect { get; set; } = 10;

    /// <summary>Waiting HTTP encode requests allowed per <see cref="HttpMaxConnect"/> slot.</summary>
    public const int HttpQueuePerConnect = 16;

    /// <summary><c>-cors</c>: the HTTP Access-Control-Allow-Origin: <c>*</c> or comma-separated origins. Defaults to <c>*</c>.</summary>
    public string Cors { get; set; } = "*";

    /// <summary><c>-http_api_key</c> (ours): when set, the HTTP encode routes require <c>Authorization: Bearer KEY</c>;
    /// health, readiness, metrics and the dashboard stay public. Defaults to none (open).</summary>
    public string? HttpApiKey { get; set; }

    /// <summary><c>-enable_termination</c> (ours): obey a remote TERMINATION (bas always does). Defaults to false.</summary>
    public bool EnableTermination { get; set; }

    /// <summary><c>-termination_token</c> (ours): with <see cref="EnableTermination"/>, TERMINATION must carry this
    /// token (<c>TERMINATION:token</c>). Defaults to none.</summary>
    public string? TerminationToken { get; set; }

    /// <summary><c>-http_max_body</c> (ours): largest HTTP request body in bytes; bigger ones get 413. Defaults to 16 MiB.</summary>
    public long HttpMaxBody { get; set; } = 16L << 20;

    /// <summary><c>-priority_batch_size</c>: requests of at most this many sentences jump ahead of bigger ones. Defaults to 16.</summary>
    public int PriorityBatchSize { get; set; } = 16;

    /// <summary><c>-xla</c>: TensorFlow's XLA JIT; no ONNX Runtime equivalent (graph optimization is always on). Defaults to false.</summary>
    public bool Xla { get; set; }

    /// <summary><c>-fp16</c>: half precision, GPU only. Defaults to false.</summary>
    public bool Fp16 { get; set; }

    /// <summary><c>-gpu_memory_fraction</c>: share of each GPU's memory a worker's session may take, in (0, 1]. Defaults to 0.5.</summary>
    public double GpuMemoryFraction { get; set; } = 0.5;

    /// <summary><c>-device_map</c>: CUDA device ids, assigned to workers cyclically. Defaults to empty (device 0).</summary>
    public IReadOnlyList<int> DeviceMap { get; set; } = [];

    /// <summary><c>-prefetch_size</c>: batches prepared ahead per GPU worker; CPU workers get one, as bert-as-service gives
    /// them none (a deep queue there only delays priority requests). Defaults to 10.</summary>
    public int PrefetchSize { get; set; } = 10;

    /// <summary><c>-num_worker</c>: inference workers running batches concurrently. Defaults to 1.</summary>
    public int NumWorker { get; set; } = 1;

    /// <summary><c>-port</c>: the PULL port requests arrive on. Defaults to 5555.</summary>
    public int Port { get; set; } = 5555;

    /// <summary><c>-port_out</c>: the PUB port results leave from. Defaults to 5556.</summary>
    public int PortOut { get; set; } = 5556;

    /// <summary><c>-max_seq_len</c>: tokens per sentence including [CLS]/[SEP], longer input is cut on the right;
    /// null means <c>NONE</c> (up to the model's position limit). Defaults to what the model declares, else 25.</summary>
    public int? MaxSeqLen { get; set; } = 25;

    /// <summary>Whether <see cref="MaxSeqLen"/> was given on the command line (it then beats the model's own).</summary>
    public bool MaxSeqLenExplicit { get; set; }

    /// <summary><c>-max_batch_size</c>: most sentences in one inference batch. Defaults to 256.</summary>
    public int MaxBatchSize { get; set; } = 256;

    /// <summary><c>-pooling_strategy</c>: how token vectors become one sentence vector. Defaults to what the model
    /// declares, else REDUCE_MEAN.</summary>
    public PoolingStrategy PoolingStrategy { get; set; } = PoolingStrategy.ReduceMean;

    /// <summary>Whether <see cref="PoolingStrategy"/> was given on the command line.</summary>
    public bool PoolingStrategyExplicit { get; set; }

    /// <summary><c>-cpu</c>: never try CUDA. Defaults to false (CUDA when available, else CPU with a warning).</summary>
    public bool Cpu { get; set; }

    /// <summary><c>-verbose</c>: debug logging. Defaults to false.</summary>
    public bool Verbose { get; set; }

    /// <summary><c>-max_batch_tokens</c>: most padded tokens (longest × count) in one inference batch; bounds each
    /// worker's buffers and keeps batches cache-sized. Defaults to 512: on a 2-core CPU, 512 beat 2048 by 6% and 256 by
    /// 16% (paired whole-process runs, see README "Benchmarks"); a GPU wants it raised to 8192 or more.</summary>
    public int MaxBatchTokens { get; set; } = 512;

    /// <summary><c>-max_request_sentences</c>: most sentences in one request. Defaults to 100,000.</summary>
    public int MaxRequestSentences { get; set; } = 100_000;

    /// <summary><c>-max_queued_requests</c>: requests waiting for tokenization before new ones get "busy".
    /// Defaults to 4096.</summary>
    public int MaxQueuedRequests { get; set; } = 4096;

    /// <summary><c>-max_queued_sentences</c>: sentences in requests waiting for tokenization, all clients together,
    /// before new requests get "busy". Defaults to 1,000,000.</summary>
    public int MaxQueuedSentences { get; set; } = 1_000_000;

    /// <summary><c>-max_sentence_chars</c>: characters in one sentence (tokens and separators for pre-tokenized
    /// input); a longer one fails its request as too large. Defaults to 100,000.</summary>
    public int MaxSentenceChars { get; set; } = 100_000;

    /// <summary><c>-max_message_bytes</c>: bytes in one ZeroMQ request; a larger one gets a too-large reply. Frames
    /// over 4 times this are cut off by ZeroMQ itself (the connection drops, nothing can be answered). Defaults to 64 MiB.</summary>
    public int MaxMessageBytes { get; set; } = 64 << 20;

    /// <summary><c>-curve_key_file</c> (ours): a file holding the server's CurveZMQ secret key (40 Z85 characters, as
    /// <c>-curve_keygen</c> writes it); the ZeroMQ sockets then encrypt everything and only clients given the public
    /// key can connect. Defaults to none (plain TCP, as bas).</summary>
    public string? CurveKeyFile { get; set; }

    /// <summary><c>-quantize</c> (ours): <c>none</c>, or <c>int8</c> to run the constant-weight MatMuls as ONNX Runtime's
    /// dynamically quantized int8 kernels (CPU; about 2.3× faster on AVX-512 VNNI, cosine to float32 ≥ 0.98).
    /// Defaults to <c>none</c>.</summary>
    public string Quantize { get; set; } = "none";

    /// <summary>The first problem with these options, or null when they are usable.</summary>
    public string? Validate()
    {
        static bool IsPort(int p) => p is > 0 and <= 65535;
        if (!IsPort(Port)) return $"-port must be 1-65535, got {Port}.";
        if (!IsPort(PortOut)) return $"-port_out must be 1-65535, got {PortOut}.";
        if (Port == PortOut) return $"-port and -port_out must differ (both {Port}).";
        if (NumWorker < 1) return $"-num_worker must be at least 1, got {NumWorker}.";
        if (MaxSeqLen is <= 3) return $"-max_seq_len must be > 3 (room for [CLS], [SEP] and a token) or NONE, got {MaxSeqLen}.";
        if (MaxBatchSize < 1) return $"-max_batch_size must be at least 1, got {MaxBatchSize}.";
        if (MaxBatchTokens < 16) return $"-max_batch_tokens must be at least 16, got {MaxBatchTokens}.";
        if (MaxRequestSentences < 1) return $"-max_request_sentences must be at least 1, got {MaxRequestSentences}.";
        if (Quantize is not ("none" or "int8")) return $"-quantize must be none or int8, got {Quantize}.";
        if (MaxQueuedSentences < 1) return $"-max_queued_sentences must be at least 1, got {MaxQueuedSentences}.";
        if (MaxQueuedSentences < MaxRequestSentences)
            return $"-max_queued_sentences ({MaxQueuedSentences}) must be at least -max_request_sentences ({MaxRequestSentences}), or a largest allowed request is refused as busy forever.";
        if (MaxSentenceChars < 1) return $"-max_sentence_chars must be at least 1, got {MaxSentenceChars}.";
        if (MaxMessageBytes is < 1024 or > (int.MaxValue / 4)) return $"-max_message_bytes must be from 1024 to {int.MaxValue / 4}, got {MaxMessageBytes}.";
        if (MaxQueuedRequests < 1) return $"-max_queued_requests must be at least 1, got {MaxQueuedRequests}.";
        if (DeviceMap.Any(d => d < 0)) return $"-device_map ids must be >= 0, got {string.Join(' ', DeviceMap)}.";
        if (PoolingLayer.Count == 0) return "-pooling_layer needs at least one layer index.";
        if (PriorityBatchSize < 0) return $"-priority_batch_size must be >= 0, got {PriorityBatchSize}.";
        if (GpuMemoryFraction is <= 0 or > 1 || double.IsNaN(GpuMemoryFraction)) return $"-gpu_memory_fraction must be in (0, 1], got {GpuMemoryFraction}.";
        if (PrefetchSize < 0) return $"-prefetch_size must be >= 0, got {PrefetchSize}.";
        if (HttpPort is { } http && !IsPort(http)) return $"-http_port must be 1-65535, got {http}.";
        if (HttpPort is { } h && (h == Port || h == PortOut)) return $"-http_port {h} collides with -port/-port_out.";
        if (HttpMaxConnect < 1) return $"-http_max_connect must be at least 1, got {HttpMaxConnect}.";
        if (TerminationToken is { } t && (string.IsNullOrWhiteSpace(t) || t.Length > 200)) return "-termination_token must be 1 to 200 non-blank characters.";
        if (TerminationToken is not null && !EnableTermination) return "-termination_token needs -enable_termination.";
        if (HttpMaxBody < 1024) return $"-http_max_body must be at least 1024 bytes, got {HttpMaxBody}.";
        if (HttpApiKey is { } key && string.IsNullOrWhiteSpace(key)) return "-http_api_key must not be empty or whitespace.";
        if (BindIp != "*" && !(System.Net.IPAddress.TryParse(BindIp, out var bindIp) && IsLocal(bindIp)))
            return $"-bind_ip must be * or an IP address of this machine, got {BindIp}.";
        if (string.IsNullOrWhiteSpace(Cors)) return "-cors must be * or a comma-separated list of origins.";
        if (TunedModelDir is not null && !Directory.Exists(TunedModelDir)) return $"-tuned_model_dir {TunedModelDir} does not exist.";
        if (ModelDir is not null && !Directory.Exists(ModelDir)) return $"-model_dir {ModelDir} does not exist.";
        return null;
    }

    static bool IsLocal(System.Net.IPAddress address) =>
        System.Net.IPAddress.IsLoopback(address) || address.Equals(System.Net.IPAddress.Any) || address.Equals(System.Net.IPAddress.IPv6Any)
        || System.Net.NetworkInformation.NetworkInterface.GetAllNetworkInterfaces()
            .SelectMany(n => n.GetIPProperties().UnicastAddresses).Any(a => a.Address.Equals(address));
}
