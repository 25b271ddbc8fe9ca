using BertServing.Client;

namespace BertServing.Tests.Support;

/// <summary>A real server started with the given flags (on CPU, no CUDA probe) and a client connected to it.</summary>
public sealed class FlaggedServer : IDisposable
{
    FlaggedServer(ServerProcess process)
    {
        Process = process;
        Client = new BertClient("127.0.0.1", process.Port, process.PortOut, TimeSpan.FromSeconds(120));
    }

    public ServerProcess Process { get; }

    public BertClient Client { get; }

    /// <summary>Graph edits are cached here for the whole test run, as a user's -graph_tmp_dir would be.</summary>
    public static string GraphCache { get; } = Directory.CreateTempSubdirectory("bertserving-test-graphs-").FullName;

    public static async Task<FlaggedServer> StartAsync(params string[] flags) =>
        new(await ServerProcess.StartAsync(["-cpu", "-graph_tmp_dir", GraphCache, .. flags]));

    /// <summary>Starts several servers at once: start-up is mostly waiting on one core each.</summary>
    public static async Task<FlaggedServer[]> StartAllAsync(params string[][] flagSets) =>
        await Task.WhenAll(flagSets.Select(f => StartAsync(f)));

    public void Dispose()
    {
        Client.Dispose();
        Process.Stop(TimeSpan.FromSeconds(20));
        Process.Dispose();
    }
}
