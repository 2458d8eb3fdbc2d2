using System.Buffers;
using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using SecretChat.Chat;
using SecretChat.Security;

namespace SecretChat.Web;

/// <summary>
/// One open page: reads its commands (JSON text messages) from the WebSocket and writes the conversations' events
/// back, in order, from one writer loop. A page may hold several conversations; closing the page ends them.
/// </summary>
internal sealed class PageSession
{
    /// <summary>The largest command the page may send: a message is far smaller (the chat library limits its length).</summary>
    public const int MaxCommandBytes = 256 * 1024;

    private readonly WebSocket _socket;
    private readonly UiOptions _options;
    private readonly Channel<string> _outbox = Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleReader = true });
    private readonly ConcurrentDictionary<int, Conversation> _conversations = new();
    private int _lastId;

    public PageSession(WebSocket socket, UiOptions options)
    {
        _socket = socket;
        _options = options;
    }

    /// <summary>Queues one event for the page (thread-safe; events keep the order they were posted in).</summary>
    public void Post<T>(T message) where T : class => _outbox.Writer.TryWrite(JsonSerializer.Serialize(message, PageJson.Of<T>()));

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var writing = WriteLoopAsync(cancellationToken);
        Post(new PageEvent.Hello(_options.Name, BuiltInModules.All.Select(module => module.Id).ToArray()));
        try
        {
            await ReadLoopAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or WebSocketException)
        {
            // the page went away or the server stops: the conversations end below
        }
        finally
        {
            foreach (var conversation in _conversations.Values)
                await conversation.DisposeAsync().ConfigureAwait(false);
            _outbox.Writer.TryComplete();
            try
            {
                await writing.ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or WebSocketException)
            {
            }
        }
    }

    private async Task WriteLoopAsync(CancellationToken cancellationToken)
    {
        await foreach (var message in _outbox.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            if (_socket.State != WebSocketState.Open) return;
            await _socket.SendAsync(Encoding.UTF8.GetBytes(message), WebSocketMessageType.Text, endOfMessage: true, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task ReadLoopAsync(CancellationToken cancellationToken)
    {
        var buffer = new ArrayBufferWriter<byte>(4096);
        while (true)
        {
            var result = await _socket.ReceiveAsync(buffer.GetMemory(4096), cancellationToken).ConfigureAwait(false);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, cancellationToken).ConfigureAwait(false);
                return;
            }
            buffer.Advance(result.Count);
            if (buffer.WrittenCount > MaxCommandBytes)
            {
                await _socket.CloseOutputAsync(WebSocketCloseStatus.MessageTooBig, "command too large", cancellationToken).ConfigureAwait(false);
                return;
            }
            if (!result.EndOfMessage) continue;
            if (result.MessageType == WebSocketMessageType.Text)
                await DispatchAsync(buffer.WrittenMemory).ConfigureAwait(false);
            buffer.ResetWrittenCount();
        }
    }

    private async Task DispatchAsync(ReadOnlyMemory<byte> json)
    {
        PageCommand? command;
        try
        {
            command = JsonSerializer.Deserialize(json.Span, PageJson.Of<PageCommand>());
        }
        catch (JsonException)
        {
            command = null;
        }
        if (command is null)
        {
            Post(new PageEvent.PageError("The page sent a command this version does not understand."));
            return;
        }

        if (command.Type == "start")
        {
            var request = ToRequest(command, out var problem);
            if (request is null)
            {
                Post(new PageEvent.PageError(problem));
                return;
            }
            var id = Interlocked.Increment(ref _lastId);
            var conversation = new Conversation(id, request, _options, this);
            _conversations[id] = conversation;
            Post(new PageEvent.Opened(id, Title(request)));
            conversation.Start();
            return;
        }

        if (!_conversations.TryGetValue(command.Conv, out var target))
        {
            Post(new PageEvent.PageError("That conversation is no longer open."));
            return;
        }
        switch (command.Type)
        {
            case "send":
                await target.SendAsync(command.Text ?? "").ConfigureAwait(false);
                break;
            case "verify":
                target.Verify();
                break;
            case "trust":
                target.Trust();
                break;
            case "path":
                target.ReportPath();
                break;
            case "close":
                if (_conversations.TryRemove(command.Conv, out var closing))
                    await closing.CloseAsync().ConfigureAwait(false);
                break;
            default:
                Post(new PageEvent.PageError("The page sent a command this version does not understand."));
                break;
        }
    }

    private static ConversationRequest? ToRequest(PageCommand command, out string problem)
    {
        problem = "";
        static string? Trimmed(string? text) => string.IsNullOrWhiteSpace(text) ? null : text.Trim();
        var address = Trimmed(command.Address);
        var encryption = Trimmed(command.Encryption);
        switch (command.Mode)
        {
            case "p2p":
                // A pairing code (issue 15) will be one more way to name the meeting point; until then, a room.
                if (Trimmed(command.Room) is not { } room)
                {
                    problem = "Name the room both of you join.";
                    return null;
                }
                return new ConversationRequest(ChatTransport.PeerToPeer, Listen: false, address, room, encryption);
            case "connect" or "listen":
                if (address is null)
                {
                    problem = command.Mode == "listen" ? "Give the address to listen on, e.g. 127.0.0.1:5000." : "Give the peer's address, e.g. 192.0.2.7:5000.";
                    return null;
                }
                var transport = command.Transport == "udp" ? ChatTransport.Udp : ChatTransport.Tcp;
                return new ConversationRequest(transport, command.Mode == "listen", address, null, encryption);
            default:
                problem = "Choose p2p, listen or connect.";
                return null;
        }
    }

    private static string Title(ConversationRequest request) => request switch
    {
        { Transport: ChatTransport.PeerToPeer } => $"room {request.Room}",
        { Listen: true } => $"listening on {request.EndPoint}",
        _ => $"{request.EndPoint}",
    };
}
