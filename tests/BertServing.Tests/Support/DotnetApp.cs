using System.Diagnostics;

namespace BertServing.Tests.Support;

/// <summary>Runs one of the repository's programs (<c>dotnet X.dll args</c>, or an installed command) to its end, as users run it.</summary>
public static class DotnetApp
{
    /// <summary>Exit code and output of <c>dotnet <paramref name="dll"/> <paramref name="args"/></c>; fails the test after 120 s.</summary>
    public static Task<(int Code, string Stdout, string Stderr)> RunAsync(string dll, params string[] args) =>
        RunProgramAsync("dotnet", Environment.CurrentDirectory, TimeSpan.FromSeconds(120), [dll, .. args]);

    /// <summary>Exit code and output of <paramref name="program"/> run in <paramref name="workingDirectory"/>; fails the test after <paramref name="timeout"/>.</summary>
    public static Task<(int Code, string Stdout, string Stderr)> RunProgramAsync(string program, string workingDirectory, TimeSpan timeout, params string[] args) =>
        RunProgramAsync(program, workingDirectory, timeout, new Dictionary<string, string>(), args);

    /// <summary>The same with <paramref name="environment"/> added to the child's environment.</summary>
    public static async Task<(int Code, string Stdout, string Stderr)> RunProgramAsync(string program, string workingDirectory, TimeSpan timeout, IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var info = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = workingDirectory };
        foreach (var (name, value) in environment)
            info.Environment[name] = value;
        foreach (var arg in args)
            info.ArgumentList.Add(arg);
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{program} {string.Join(' ', args)} did not finish within {timeout}.");
        }
        return (process.ExitCode, await stdout, await stderr);
    }

    /// <summary>The build output of project <paramref name="name"/> under <paramref name="folder"/> (src, samples).</summary>
    public static string Dll(string folder, string name, string assembly) =>
        Path.Combine(RepoPaths.Root, folder, name, "bin", ServerProcess.Configuration, "net10.0", assembly + ".dll");
}
