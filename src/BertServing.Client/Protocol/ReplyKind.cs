namespace BertServing.Client.Protocol;

/// <summary>What a native reply carries. Values are on the wire: append only.</summary>
public enum ReplyKind
{
    /// <summary>Embeddings in the data frame, described by <see cref="Reply.Dtype"/> and <see cref="Reply.Shape"/>.</summary>
    Embeddings = 1,

    /// <summary>The request failed: see <see cref="Reply.Error"/> and <see cref="Reply.Message"/>.</summary>
    Error = 2,

    /// <summary>The answer to <see cref="RequestKind.Hello"/>: see <see cref="Reply.Info"/>.</summary>
    Hello = 3,

    /// <summary>The answer to <see cref="RequestKind.ShowConfig"/> or <see cref="RequestKind.ShowStatus"/>: see <see cref="Reply.Json"/>.</summary>
    Json = 4,
}
