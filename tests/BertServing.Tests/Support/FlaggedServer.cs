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
    public static string GraphCache { get; } = CreateGraphCache();

    static string CreateGraphCache()
    {
        var dir = Directory.CreateTempSubdirectory("bertserving-test-graphs-").FullName;
        // Edited graphs are ~100 MB each; without this every test run left ~400 MB in the temp folder.
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try
            {
                Directory.Delete(dir, recursive: true);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // A server still shutting down holds a file: the OS's temp cleaning gets the rest.
            }
        };
        return dir;
    }

    public static async Task<FlaggedServer> StartAsync(params string[] flags) =>
        new(await ServerProcess.StartAsync(["-cpu", "-graph_tmp_dir", GraphCache, .. flags]));

    /// <summary>Starts several servers at once: start-up is mostly waiting on one core each.</summary>
    public static async Task<FlaggedServer[]> StartAllAsync(params string[][] flagSets)
    {
        var starts = flagSets.Select(f => StartAsync(f)).ToArray();
        try
        {
            return await Task.WhenAll(starts);
        }
        catch
        {
            // One failed: stop the others, or their processes outlive the test run.
            foreach (var start in starts.Where(s => s.IsCompletedSuccessfully))
                start.Result.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        Client.Dispose();
        Process.Stop(TimeSpan.FromSeconds(20));
        Process.Dispose();
    }
}
