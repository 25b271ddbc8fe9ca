using System.Diagnostics;

namespace BertServing.Tests.Support;

/// <summary>Runs one of the repository's built programs (<c>dotnet X.dll args</c>) to its end, as users run it.</summary>
public static class DotnetApp
{
    /// <summary>Exit code and output of <c>dotnet <paramref name="dll"/> <paramref name="args"/></c>; fails the test after 120 s.</summary>
    public static async Task<(int Code, string Stdout, string Stderr)> RunAsync(string dll, params string[] args)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add(dll);
        foreach (var arg in args)
            info.ArgumentList.Add(arg);
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout, await stderr);
    }

    /// <summary>The build output of project <paramref name="name"/> under <paramref name="folder"/> (src, samples).</summary>
    public static string Dll(string folder, string name, string assembly) =>
        Path.Combine(RepoPaths.Root, folder, name, "bin", ServerProcess.Configuration, "net10.0", assembly + ".dll");
}
