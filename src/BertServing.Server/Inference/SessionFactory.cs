using Microsoft.Extensions.Logging;
using Microsoft.ML.OnnxRuntime;

namespace BertServing.Server.Inference;

/// <summary>
/// Creates the ONNX Runtime session. One session serves every worker (<c>Run</c> is thread-safe), so the model's
/// weights are in memory once; each worker gets its share of the cores as intra-op threads.
/// </summary>
public static class SessionFactory
{
    /// <summary>Creates a session on CUDA when asked and available, else on CPU; reports which in <paramref name="device"/>.</summary>
    public static InferenceSession Create(byte[] model, bool cpuOnly, int deviceId, int workers, bool verbose, ILogger logger, out string device)
    {
        // ORT's native logger writes straight to stderr; a missing CUDA would print a multi-line error there beside
        // our one warning. Its errors reach us as exceptions anyway, so keep it quiet unless asked to talk.
        if (!OrtEnv.IsCreated)
        {
            var envOptions = new EnvironmentCreationOptions
            {
                logLevel = verbose ? OrtLoggingLevel.ORT_LOGGING_LEVEL_WARNING : OrtLoggingLevel.ORT_LOGGING_LEVEL_FATAL,
            };
            OrtEnv.CreateInstanceWithOptions(ref envOptions);
        }
        using var options = NewOptions(workers);
        device = "cpu";
        if (!cpuOnly && TryAddCuda(options, deviceId, logger))
            device = $"cuda:{deviceId}";
        return new InferenceSession(model, options);
    }

    static SessionOptions NewOptions(int workers)
    {
        var options = new SessionOptions
        {
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            // Workers run concurrently; splitting the cores between them avoids oversubscription (measured: 2 sessions x 2
            // threads on 2 cores ran 320 sentences/s against 400-465 for one caller with 2 threads).
            IntraOpNumThreads = Math.Max(1, Environment.ProcessorCount / workers),
            InterOpNumThreads = 1,
        };
        return options;
    }

    static bool TryAddCuda(SessionOptions options, int deviceId, ILogger logger)
    {
        try
        {
            // Building the provider options loads the CUDA provider library, and its exception names the missing
            // dependency (e.g. libcublasLt.so.13), where AppendExecutionProvider_CUDA(int) only says "failed to load".
            using var cuda = new OrtCUDAProviderOptions();
            cuda.UpdateOptions(new Dictionary<string, string> { ["device_id"] = deviceId.ToString(System.Globalization.CultureInfo.InvariantCulture) });
            options.AppendExecutionProvider_CUDA(cuda);
            return true;
        }
        // The GPU package throws OnnxRuntimeException when CUDA libraries are missing; a CPU-only ORT build has no
        // CUDA entry point at all. Either way the CPU provider still works.
        catch (Exception e) when (e is OnnxRuntimeException or EntryPointNotFoundException or DllNotFoundException)
        {
            logger.LogWarning("CUDA is not available ({Reason}); falling back to CPU. Pass -cpu to skip this check.", FirstLine(e.Message));
            return false;
        }
    }

    static string FirstLine(string message)
    {
        var end = message.IndexOfAny(['\r', '\n']);
        return end < 0 ? message : message[..end];
    }
}
