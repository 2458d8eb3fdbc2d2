using System.Net;

namespace SecretChat.Security.Datagrams;

/// <summary>An authenticated move of a datagram session to <paramref name="Address"/>, and why.</summary>
public readonly record struct PathMove(IPEndPoint Address, PathMoveReason Reason);
