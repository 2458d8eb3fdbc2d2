using SecretChat.Framing.Packets;

namespace SecretChat.Security.Datagrams;

// Handshake messages larger than one datagram (the post-quantum hybrid's, about 1.2 KB each way) travel in fragments:
// Handshake packets whose index byte has its top bit set, each body [fragment u8][count u8][bytes] (docs/PROTOCOL.md
// §6.3.2). A message that fits one datagram is never fragmented, so the classic wire is unchanged. Only a channel
// reassembles, and a channel exists only for a peer that sent a valid hello (a listener: a proven source), so a
// stranger's fragments are dropped before they cost memory; a channel holds one message in reassembly at most.
public sealed partial class SecureDatagramChannel
{
    /// <summary>The index byte's top bit: this Handshake packet carries a fragment of message (index &amp; 0x7F).</summary>
    internal const byte FragmentFlag = 0x80;

    /// <summary>The most fragments one handshake message may have.</summary>
    internal const int MaxFragments = 4;

    /// <summary>Fragment number and count, before the fragment's bytes.</summary>
    internal const int FragmentHeaderSize = 2;

    /// <summary>
    /// The largest session datagram the signaling server's relay can carry between two clients (docs/PROTOCOL.md §9.6:
    /// its wrapper adds 28 bytes to a 1,200-byte socket limit); every handshake packet stays within it.
    /// </summary>
    internal const int MaxRelayableDatagramSize = PacketCodec.MaxDatagramSize - 28;

    /// <summary>The largest handshake message sent whole, in one packet; a longer one is sent in fragments.</summary>
    internal const int MaxWholeMessageSize = MaxRelayableDatagramSize - PacketCodec.HandshakeHeaderSize;

    /// <summary>The bytes every fragment but the last carries exactly (the last carries 1 to this many).</summary>
    internal const int FragmentDataSize = MaxWholeMessageSize - FragmentHeaderSize;

    /// <summary>The largest handshake message datagrams carry.</summary>
    internal const int MaxFragmentedMessageSize = MaxFragments * FragmentDataSize;

    private byte[]? _reassembly;   // the message being reassembled, at most MaxFragmentedMessageSize bytes
    private int _reassemblyIndex;  // its index (1..127)
    private int _reassemblyCount;  // its fragment count (2..MaxFragments)
    private int _reassemblyLength; // its length, known once the last fragment came
    private int _reassemblyHave;   // bit i: fragment i is in

    /// <summary>Cuts <paramref name="message"/> into the Handshake packets of message <paramref name="index"/>.</summary>
    private void AddFragments(List<byte[]> flight, int index, ReadOnlySpan<byte> message)
    {
        if (message.Length > MaxFragmentedMessageSize)
            throw new HandshakeException(
                $"The {_security.Info.Id} handshake message of {message.Length} bytes does not fit {MaxFragments} datagrams.");
        var count = (message.Length + FragmentDataSize - 1) / FragmentDataSize;
        var body = new byte[FragmentHeaderSize + FragmentDataSize];
        // At most MaxRelayableDatagramSize bytes per packet.
        for (var i = 0; i < count; i++)
        {
            var chunk = message.Slice(i * FragmentDataSize, Math.Min(FragmentDataSize, message.Length - i * FragmentDataSize));
            body[0] = (byte)i;
            body[1] = (byte)count;
            chunk.CopyTo(body.AsSpan(FragmentHeaderSize));
            flight.Add(Packet(PacketHeader.Handshake(LocalSessionId, (byte)(index | FragmentFlag)), body.AsSpan(0, FragmentHeaderSize + chunk.Length)));
        }
    }

    /// <summary>
    /// Takes one fragment of the message the handshake reads next. True, with the whole message, when this fragment
    /// completed it; false when it was dropped or more fragments are due.
    /// </summary>
    private bool TryReassemble(int index, ReadOnlySpan<byte> body, out byte[] message)
    {
        message = [];
        if (body.Length <= FragmentHeaderSize)
        {
            Drop(DatagramDropReason.Malformed);
            return false;
        }
        int fragment = body[0], count = body[1];
        var data = body[FragmentHeaderSize..];
        var isLast = fragment == count - 1;
        if (count is < 2 or > MaxFragments || fragment >= count || (isLast ? data.Length > FragmentDataSize : data.Length != FragmentDataSize))
        {
            Drop(DatagramDropReason.Malformed);
            return false;
        }
        // Another message, or the same one cut otherwise: a peer that restarted its message (or a forger at its
        // address); start over with this one, the retransmissions bring the rest.
        if (_reassembly is null || _reassemblyIndex != index || _reassemblyCount != count)
        {
            _reassembly ??= new byte[MaxFragmentedMessageSize];
            _reassemblyIndex = index;
            _reassemblyCount = count;
            _reassemblyLength = 0;
            _reassemblyHave = 0;
        }
        if ((_reassemblyHave & (1 << fragment)) != 0)
        {
            Drop(DatagramDropReason.DuplicateHandshake);
            return false;
        }
        data.CopyTo(_reassembly.AsSpan(fragment * FragmentDataSize));
        _reassemblyHave |= 1 << fragment;
        if (isLast)
            _reassemblyLength = fragment * FragmentDataSize + data.Length;
        if (_reassemblyHave != (1 << count) - 1)
            return false;
        message = _reassembly.AsSpan(0, _reassemblyLength).ToArray();
        ForgetReassembly();
        return true;
    }

    private void ForgetReassembly()
    {
        _reassembly = null;
        _reassemblyHave = 0;
    }
}
