namespace BertServing.Client;

/// <summary>A client's own state, as bert-serving-client's <c>status</c> property reports it.</summary>
/// <param name="Identity">The SUB topic.</param>
/// <param name="NumRequest">Requests sent so far.</param>
/// <param name="NumPendingRequest">Requests sent and not yet answered.</param>
/// <param name="PendingRequest">Their ids.</param>
/// <param name="Port">The server's request port.</param>
/// <param name="PortOut">The server's result port.</param>
/// <param name="ServerIp">The server's host.</param>
/// <param name="ClientVersion">This library's version.</param>
/// <param name="Timeout">The per-call timeout.</param>
public sealed record ClientStatus(string Identity, long NumRequest, int NumPendingRequest, IReadOnlyCollection<long> PendingRequest,
    int Port, int PortOut, string ServerIp, string ClientVersion, TimeSpan Timeout);
