namespace BertServing.Server.Models;

/// <summary>The model could not be found or loaded; the message is shown to the user as is.</summary>
public sealed class ModelLoadException : Exception
{
    /// <summary>Creates the exception.</summary>
    public ModelLoadException(string message) : base(message) { }

    /// <summary>Creates the exception with its cause.</summary>
    public ModelLoadException(string message, Exception innerException) : base(message, innerException) { }

    /// <summary>Creates the exception with no message.</summary>
    public ModelLoadException() { }
}
