using System.Threading.Channels;
using BertServing.Client.Protocol;
using BertServing.Server.Batching;
using Microsoft.Extensions.Logging;

namespace BertServing.Server.Inference;

/// <summary>
/// The <c>-num_worker</c> inference threads. Each owns an <see cref="EncoderWorker"/> and takes batches from the
/// pipeline until it completes. Dedicated threads, not pool tasks: a batch blocks its thread for the whole run.
/// </summary>
public sealed class InferenceWorkers(IReadOnlyList<EncoderWorker> workers, ILogger logger)
{
    readonly List<Thread> _threads = [];

    /// <summary>Starts one thread per worker reading <paramref name="batches"/>.</summary>
    public void Start(ChannelReader<InferenceBatch> batches)
    {
        for (var i = 0; i < workers.Count; i++)
        {
            var worker = workers[i];
            var thread = new Thread(() => Loop(worker, batches)) { IsBackground = true, Name = $"bertserving-worker-{i}" };
            _threads.Add(thread);
            thread.Start();
        }
    }

    /// <summary>Waits for the threads to finish (after the batch channel completes).</summary>
    public void Join()
    {
        foreach (var thread in _threads)
            thread.Join();
    }

    void Loop(EncoderWorker worker, ChannelReader<InferenceBatch> batches)
    {
        while (true)
        {
            if (!batches.TryRead(out var batch))
            {
                if (!batches.WaitToReadAsync().AsTask().GetAwaiter().GetResult())
                    return;
                continue;
            }
            try
            {
                worker.Run(batch);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // A failing batch fails its jobs, never the worker: the next batch may be fine.
                logger.LogError(e, "Inference failed for a batch of {Sentences} sentences of length {Length}", batch.Sentences.Length, batch.SequenceLength);
                foreach (var job in batch.Sentences.Select(s => s.Job).Distinct())
                    job.Fail(ErrorCode.Internal, "Inference failed: " + e.Message);
            }
        }
    }
}
