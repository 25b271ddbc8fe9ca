// bertserving-microbench: micro-benchmarks of tokenization, pooling, the wire protocol and batch planning.
// Build in Release, then run from the repository root, on a quiet machine (other load skews the numbers):
//   dotnet tests/BertServing.MicroBenchmarks/bin/Release/net10.0/bertserving-microbench.dll --filter '*'
// Any BenchmarkDotNet option works, e.g. --filter '*Pooler*' or --job Dry for a quick smoke run.
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

// In process, because the default toolchain builds a fresh project per run: that rebuilds the server with its GPU
// ONNX Runtime for every benchmark, and its output folder lacks the models/ copy the tokenizer benchmarks load.
// As a mutator the toolchain applies to whatever job the command line picks (--job Dry, Short, ...).
var config = DefaultConfig.Instance.AddJob(Job.Default.WithToolchain(InProcessEmitToolchain.Instance).AsMutator());
BenchmarkSwitcher.FromAssembly(typeof(BertServing.MicroBenchmarks.Inputs).Assembly).Run(args, config);
