using BenchmarkDotNet.Attributes;
using BertServing.Server.Batching;
using BertServing.Server.Models;

namespace BertServing.MicroBenchmarks;

/// <summary>One planner round: 1024 corpus sentences arriving as 64 jobs of 16, tokenized, sorted and cut into batches.</summary>
[MemoryDiagnoser]
public class BatchPlannerBenchmarks
{
    const int Jobs = 64;
    const int SentencesPerJob = 16;

    BatchPlanner _planner = null!;
    string[][] _jobTexts = [];

    [GlobalSetup]
    public void Setup()
    {
        // What bertserving-start plans with when started without flags.
        _planner = new BatchPlanner(Inputs.BuiltInTokenizer(), Inputs.BuiltInSettings.TokenLimit,
            Inputs.DefaultOptions.MaxBatchSize, Inputs.DefaultOptions.MaxBatchTokens, BuiltInModelSpec.Dimension);
        _jobTexts = Inputs.Sentences(Jobs * SentencesPerJob).Chunk(SentencesPerJob).ToArray();
    }

    [Benchmark]
    public List<InferenceBatch> Plan()
    {
        // Plan writes its results into the jobs, so each round needs fresh ones; 64 small objects are noise here.
        var jobs = new EncodeJob[Jobs];
        for (var i = 0; i < Jobs; i++)
            jobs[i] = new EncodeJob(SentencesPerJob, static _ => { }) { Texts = _jobTexts[i] };
        return _planner.Plan(jobs);
    }
}
