using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.ML.OnnxRuntime;

namespace BertServing.Server.Inference;

/// <summary>
/// Creates ONNX Runtime sessions. Workers on one device share a session (<c>Run</c> is thread-safe), so the model's
/// weights are in memory once per device; CPU workers split the cores between them as intra-op threads.
/// </summary>
public static class SessionFactory
{
    /// <summary>Quiets ORT's own stderr logger unless <paramref name="verbose"/>: its errors reach us as exceptions anyway.</summary>
    public static void InitializeEnvironment(bool verbose)
    {
        if (OrtEnv.IsCreated) return;
        var envOptions = new EnvironmentCreationOptions
        {
            logLevel = verbose ? OrtLoggingLevel.ORT_LOGGING_LEVEL_WARNING : OrtLoggingLevel.ORT_LOGGING_LEVEL_FATAL,
        };
        OrtEnv.CreateInstanceWithOptions(ref envOptions);
    }

    /// <summary>A CPU session for <paramref name="workers"/> concurrent callers.</summary>
    public static InferenceSession CreateCpu(byte[] model, int workers)
    {
        using var options = NewOptions();
        // Workers run concurrently; splitting the cores between them avoids oversubscription (measured: 2 sessions x 2
        // threads on 2 cores ran 320 sentences/s against 400-465 for one caller with 2 threads).
        options.IntraOpNumThreads = Math.Max(1, Environment.ProcessorCount / workers);
        // ORT's pool threads spin for a while after a run; on 2 cores that starves the threads carrying the reply out.
        // Stopping the spin when a run returns cut the p90 of a request that follows an encode from 4 ms to 0.4 ms,
        // with the same throughput (paired whole-process runs, docs/benchmarks.md). Blocking outright between the
        // operators of one run (allow_spinning 0) made single requests 20% slower instead.
        options.AddSessionConfigEntry("session.force_spinning_stop", "1");
        return new InferenceSession(model, options);
    }

    /// <summary>
    /// A CUDA session on <paramref name="deviceId"/> whose memory arena may take <paramref name="memoryFraction"/> of the
    /// device; null (with the reason) when CUDA cannot be used here.
    /// </summary>
    public static InferenceSession? TryCreateCuda(byte[] model, int deviceId, double memoryFraction, ILogger logger, out string? failure)
    {
        failure = null;
        using var options = NewOptions();
        try
        {
            // Building the provider options loads the CUDA provider library, and its exception names the missing
            // dependency (e.g. libcublasLt.so.13), where AppendExecutionProvider_CUDA(int) only says "failed to load".
            using var cuda = new OrtCUDAProviderOptions();
            var settings = new Dictionary<string, string>
            {
                ["device_id"] = deviceId.ToString(CultureInfo.InvariantCulture),
                // bert-as-service sets allow_growth: grow the arena by what is asked, not by powers of two.
                ["arena_extend_strategy"] = "kSameAsRequested",
            };
            cuda.UpdateOptions(settings);
            // Only now is CUDA known to be loadable, so a failure to read the size is worth a warning.
            if (CudaDevice.TryGetTotalMemory(deviceId, out var total))
                cuda.UpdateOptions(new Dictionary<string, string> { ["gpu_mem_limit"] = ((long)(total * memoryFraction)).ToString(CultureInfo.InvariantCulture) });
            else
                logger.LogWarning("Cannot read the memory size of CUDA device {Device}; -gpu_memory_fraction is not applied", deviceId);
            options.AppendExecutionProvider_CUDA(cuda);
            return new InferenceSession(model, options);
        }
        // The GPU package throws OnnxRuntimeException when CUDA libraries are missing; a CPU-only ORT build has no
        // CUDA entry point at all. Either way the CPU provider still works.
        catch (Exception e) when (e is OnnxRuntimeException or EntryPointNotFoundException or DllNotFoundException)
        {
            failure = FirstLine(e.Message);
            return null;
        }
    }

    static SessionOptions NewOptions() => new()
    {
        GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
        ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
        InterOpNumThreads = 1,
    };

    static string FirstLine(string message)
    {
        var end = message.IndexOfAny(['\r', '\n']);
        return end < 0 ? message : message[..end];
    }
}
