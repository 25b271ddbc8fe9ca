namespace BertServing.Tests.Support;

/// <summary>The three sentences of the blog post that made bert-as-service popular, used as a small known input.</summary>
public static class BlogSentences
{
    /// <summary>"First do it", "then do it right", "then do it better": the first two are closer than the first and third.</summary>
    public static readonly string[] Three = ["First do it", "then do it right", "then do it better"];
}
