using SecretChat.Chat;

namespace SecretChat.Web;

/// <summary>
/// What the page asks for when it opens a conversation, before the settings are merged in (the program's
/// <c>ui</c> command turns it into <see cref="ChatOptions"/> the way <c>p2p</c>, <c>listen</c> and <c>connect</c> do).
/// </summary>
/// <param name="Transport">TCP, UDP or p2p.</param>
/// <param name="Listen">Wait for a peer instead of connecting (TCP or UDP only).</param>
/// <param name="EndPoint">The address to connect to or listen on; for p2p the signaling server, null for the settings' one.</param>
/// <param name="Room">p2p: the room both peers name. A pairing code (issue 15) will arrive here too, as its own field.</param>
/// <param name="Encryption">noise, rsa or pseudo; null for the settings' mode.</param>
/// <param name="AcceptNewKey">The user accepted a pinned peer's new key (the Trust button).</param>
internal sealed record ConversationRequest(
    ChatTransport Transport,
    bool Listen,
    string? EndPoint,
    string? Room,
    string? Encryption,
    bool AcceptNewKey = false);
