using System.Security.Cryptography;
using System.Text;

namespace BertServing.Server.Transport;

/// <summary>
/// Whether a remote TERMINATION may stop the server. bert-as-service obeys anyone who reaches the port; here it is
/// off unless <c>-enable_termination</c>, and with <c>-termination_token</c> the request must carry the token
/// (<c>TERMINATION:token</c>, which <c>bertserving-terminate -token</c> sends).
/// </summary>
/// <param name="enabled"><c>-enable_termination</c>.</param>
/// <param name="token"><c>-termination_token</c>, or null for none.</param>
public sealed class TerminationGuard(bool enabled, string? token)
{
    readonly byte[]? _token = token is null ? null : Encoding.UTF8.GetBytes(token);

    /// <summary>Why a TERMINATION carrying <paramref name="given"/> is refused, or null when it is obeyed.</summary>
    public string? Refuse(string? given)
    {
        if (!enabled)
            return "TERMINATION is disabled on this server; start it with -enable_termination to allow remote shutdown.";
        if (_token is null)
            return null;
        // Constant time, so the token cannot be found byte by byte from reply times.
        var bytes = given is null ? [] : Encoding.UTF8.GetBytes(given);
        return CryptographicOperations.FixedTimeEquals(bytes, _token)
            ? null
            : "TERMINATION needs this server's token (-termination_token): send TERMINATION:<token>, e.g. bertserving-terminate -token.";
    }
}
