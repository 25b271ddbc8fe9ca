namespace BertServing.Client.Protocol;

/// <summary>What a native request asks for. Values are on the wire: append only.</summary>
public enum RequestKind
{
    /// <summary>Encode <see cref="Request.Texts"/> or <see cref="Request.Tokenized"/>.</summary>
    Encode = 1,

    /// <summary>
    /// Ask for <see cref="ServerInfo"/>. A client repeats it until answered: the answer proves its subscription
    /// on the result socket is live (PUB drops messages to subscribers that have not joined yet).
    /// </summary>
    Hello = 2,

    /// <summary>Ask for the server's configuration as JSON (bert-as-service's <c>SHOW_CONFIG</c> keys).</summary>
    ShowConfig = 3,

    /// <summary>Ask for the configuration plus request statistics as JSON (bert-as-service's <c>SHOW_STATUS</c>).</summary>
    ShowStatus = 4,
}
