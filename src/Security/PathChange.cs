using System.Net;

namespace SecretChat.Security;

/// <summary>A secure channel moved to another path: which kind, the peer's address on it, and why.</summary>
public sealed record PathChange(PathKind Path, EndPoint? Remote, PathMoveReason Reason);
