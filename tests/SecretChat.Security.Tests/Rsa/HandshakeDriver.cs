using System.Buffers;

namespace SecretChat.Security.Tests.Rsa;

/// <summary>Moves messages between two handshake sides until both complete, with an optional tamperer on the wire.</summary>
internal sealed class HandshakeDriver
{
    public List<byte[]> Messages { get; } = [];

    public List<HandshakeStatus> InitiatorStatuses { get; } = [];

    public List<HandshakeStatus> ResponderStatuses { get; } = [];

    /// <param name="tamper">Rewrites message number <c>index</c> (0-based) on its way to the reader.</param>
    public void Run(IHandshake initiator, IHandshake responder, Func<int, byte[], byte[]>? tamper = null)
    {
        Record(initiator, responder);
        while (initiator.Status != HandshakeStatus.Complete || responder.Status != HandshakeStatus.Complete)
        {
            var (writer, reader) =
                initiator.Status == HandshakeStatus.MustWrite ? (initiator, responder)
                : responder.Status == HandshakeStatus.MustWrite ? (responder, initiator)
                : throw new InvalidOperationException("Neither side wants to write.");
            var buffer = new ArrayBufferWriter<byte>();
            writer.WriteMessage(buffer);
            var message = buffer.WrittenSpan.ToArray();
            message = tamper?.Invoke(Messages.Count, message) ?? message;
            Messages.Add(message);
            reader.ReadMessage(message);
            Record(initiator, responder);
        }
    }

    public static byte[] Write(IHandshake side)
    {
        var buffer = new ArrayBufferWriter<byte>();
        side.WriteMessage(buffer);
        return buffer.WrittenSpan.ToArray();
    }

    private void Record(IHandshake initiator, IHandshake responder)
    {
        InitiatorStatuses.Add(initiator.Status);
        ResponderStatuses.Add(responder.Status);
    }
}
