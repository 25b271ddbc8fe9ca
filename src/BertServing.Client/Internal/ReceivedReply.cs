using BertServing.Client.Protocol;

namespace BertServing.Client.Internal;

/// <summary>A decoded reply and its data frame.</summary>
readonly record struct ReceivedReply(Reply Reply, byte[] Data);
