using System.Net;

namespace SecretChat.Chat;

/// <summary>Opens chat sessions: the seam between the command line and the composed stack.</summary>
public interface IChatConnector
{
    /// <summary>
    /// Connects to <see cref="ChatOptions.EndPoint"/>, runs the handshake and returns the session.
    /// Failures (unreachable, refused, handshake failed, timeout) throw <see cref="ChatFailedException"/>
    /// with one clear sentence.
    /// </summary>
    Task<IChat> ConnectAsync(ChatOptions options, IProgress<string>? progress = null, CancellationToken cancellationToken = default);

    /// <summary>Binds <see cref="ChatOptions.EndPoint"/> now (a failure to bind throws <see cref="ChatFailedException"/>).</summary>
    Task<IChatListener> ListenAsync(ChatOptions options, CancellationToken cancellationToken = default);
}

/// <summary>A bound listener that hands out one session per peer that completes its handshake.</summary>
public interface IChatListener : IAsyncDisposable
{
    /// <summary>The address and port the listener is bound to (the port chosen, when 0 was asked for).</summary>
    EndPoint LocalEndPoint { get; }

    /// <summary>
    /// Peers that connected but did not become a session (garbage, wrong mode, failed handshake), one
    /// sentence each. The listener keeps running after them.
    /// </summary>
    IObservable<string> Rejections { get; }

    /// <summary>Waits for the next peer that completes its handshake.</summary>
    Task<IChat> AcceptAsync(IProgress<string>? progress = null, CancellationToken cancellationToken = default);
}

/// <summary>A session could not be opened; the message is one sentence meant for the user.</summary>
public class ChatFailedException : Exception
{
    /// <summary>Creates the exception with <paramref name="message"/>, one sentence meant for the user.</summary>
    /// <param name="message">Why the session could not be opened, in one sentence meant for the user.</param>
    public ChatFailedException(string message) : base(message) { }

    /// <summary>Creates the exception with <paramref name="message"/> and the lower layer's error behind it.</summary>
    /// <param name="message">Why the session could not be opened, in one sentence meant for the user.</param>
    /// <param name="innerException">The lower layer's error behind it.</param>
    public ChatFailedException(string message, Exception innerException) : base(message, innerException) { }

    /// <summary>A lower layer's clause as a user's sentence (see <see cref="UserSentences.FromClause"/>).</summary>
    public static string Sentence(string clause) => UserSentences.FromClause(clause);
}
