using System.Net;
using SecretChat.Chat;
using SecretChat.Security;

namespace SecretChat.Web;

/// <summary>What the web interactor needs from the program: where to serve, how sessions open, how settings apply.</summary>
internal sealed record UiOptions
{
    /// <summary>Where to serve (port 0 picks a free one). Anything but loopback needs <see cref="ConfirmedNonLoopback"/>.</summary>
    public required IPEndPoint Listen { get; init; }

    /// <summary>The user confirmed serving on a non-loopback address (anyone who can reach it and holds the token gets in).</summary>
    public bool ConfirmedNonLoopback { get; init; }

    /// <summary>Opens sessions: the same connector the console uses.</summary>
    public required IChatConnector Connector { get; init; }

    /// <summary>The settings merged into a request (the same mapping the console's commands use); throws one sentence when they do not fit.</summary>
    public required Func<ConversationRequest, ChatOptions> ToChatOptions { get; init; }

    /// <summary>One sentence on what a mode protects (the console's own sentences).</summary>
    public Func<SecurityModuleInfo, string> DescribeSecurity { get; init; } = module => module.DisplayName;

    /// <summary>The name this side introduces itself with (shown in the page's header).</summary>
    public string Name { get; init; } = Environment.UserName;

    /// <summary>The secret in the printed URL; null makes a new random one (tests pass their own).</summary>
    public string? Token { get; init; }
}
