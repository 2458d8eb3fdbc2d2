using System.Net;

namespace SecretChat.Security;

/// <summary>A secure channel moved to another path: <c>direct</c> or <c>relay</c>, the peer's address on it, and why.</summary>
public sealed record PathChange(string Path, EndPoint? Remote, string Reason);
