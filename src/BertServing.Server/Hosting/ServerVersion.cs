using System.Reflection;

namespace BertServing.Server.Hosting;

/// <summary>The server's product version, from the assembly.</summary>
public static class ServerVersion
{
    /// <summary>e.g. <c>0.1.0</c>.</summary>
    public static string Current { get; } =
        typeof(ServerVersion).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";
}
