using System.Net;
using System.Reactive.Concurrency;
using SecretChat.Security;
using SecretChat.Security.Datagrams;
using SecretChat.Security.Identity;
using SecretChat.Security.Noise;

namespace SecretChat.Fuzz.Targets;

/// <summary>
/// The secure UDP channel (SecureDatagramChannel) fed hostile datagrams on a virtual network: the whole receive path,
/// from the packet header through the handshake, cookies, rejects, restarts and decryption to the payloads.
/// </summary>
internal static class DatagramTargets
{
    private static readonly IPEndPoint InitiatorAddress = new(IPAddress.Loopback, 1000);
    private static readonly IPEndPoint ResponderAddress = new(IPAddress.Loopback, 2000);
    private static readonly IPEndPoint StrangerAddress = new(IPAddress.Loopback, 6666);
    private static readonly StaticKeyPair InitiatorKey = StaticKeyPair.Generate();
    private static readonly StaticKeyPair ResponderKey = StaticKeyPair.Generate();

    // Fixed session ids (the test seam) so that mutated packets name the session and reach decryption; the keys are
    // fresh in every handshake (random ephemerals), so nothing the fuzzer writes can authenticate.
    private const uint InitiatorSessionId = 0x11111111;
    private const uint ResponderSessionId = 0x22222222;

    /// <summary>
    /// An established pair; the input is a list of datagrams (see <see cref="Datagrams"/>) sent to either side from the
    /// peer's address or a stranger's. Nothing unauthenticated changes the session: no payload is delivered, no
    /// error ends it, neither side moves to another address, and a message each way still arrives afterwards.
    /// </summary>
    public static void Established(byte[] input)
    {
        using var pair = new Pair();
        pair.Run();
        Invariant.That(pair.Initiator.Established.IsCompletedSuccessfully && pair.Responder.Established.IsCompletedSuccessfully,
            "The genuine pair did not establish.");

        foreach (var (toResponder, fromPeer, datagram) in Datagrams(input))
        {
            var from = fromPeer ? (toResponder ? InitiatorAddress : ResponderAddress) : StrangerAddress;
            (toResponder ? pair.Responder : pair.Initiator).Receive(from, datagram);
        }
        pair.Run();
        Invariant.That(pair.InitiatorPayloads.Count == 0 && pair.ResponderPayloads.Count == 0,
            "A payload was delivered from datagrams that did not authenticate.");
        Invariant.That(pair.Ended is null, $"Unauthenticated datagrams ended the session: {pair.Ended}.");
        Invariant.That(Equals(pair.Responder.RemoteEndPoint, InitiatorAddress) && Equals(pair.Initiator.RemoteEndPoint, ResponderAddress),
            "Unauthenticated datagrams moved the session to another address.");

        pair.Initiator.SendAsync("after"u8.ToArray()).AsTask().GetAwaiter().GetResult();
        pair.Responder.SendAsync("back"u8.ToArray()).AsTask().GetAwaiter().GetResult();
        pair.Run();
        Invariant.That(pair.ResponderPayloads.SequenceEqual(["after"]) && pair.InitiatorPayloads.SequenceEqual(["back"]),
            $"After the hostile datagrams the session delivered [{string.Join(", ", pair.ResponderPayloads)}] and [{string.Join(", ", pair.InitiatorPayloads)}] " +
            $"(responder: {pair.Responder.Statistics}; initiator: {pair.Initiator.Statistics}).");
    }

    /// <summary>
    /// A listening responder and a connecting initiator fed the input's datagrams before they exchange anything. No
    /// payload is delivered and neither side establishes a session from datagrams alone (the fuzzer cannot finish a
    /// Noise handshake); whatever the input did, Receive returns and the channels dispose.
    /// </summary>
    public static void Handshaking(byte[] input)
    {
        using var pair = new Pair(connect: false);
        foreach (var (toResponder, fromPeer, datagram) in Datagrams(input))
        {
            var from = fromPeer ? (toResponder ? InitiatorAddress : ResponderAddress) : StrangerAddress;
            (toResponder ? pair.Responder : pair.Initiator).Receive(from, datagram);
        }
        pair.Run(deliver: false);
        Invariant.That(pair.InitiatorPayloads.Count == 0 && pair.ResponderPayloads.Count == 0,
            "A payload was delivered before any handshake completed.");
        Invariant.That(!pair.Responder.Established.IsCompletedSuccessfully && !pair.Initiator.Established.IsCompletedSuccessfully,
            "A channel established from the fuzzer's datagrams alone.");
    }

    /// <summary>
    /// Splits the input into datagrams: a control byte (bit 0: to the responder, else the initiator; bit 1: from the
    /// peer's address, else a stranger's), a length byte, then that many bytes (or the rest). At most 16 datagrams.
    /// </summary>
    internal static IEnumerable<(bool ToResponder, bool FromPeer, byte[] Datagram)> Datagrams(byte[] input)
    {
        var offset = 0;
        for (var count = 0; count < 16 && input.Length - offset >= 2; count++)
        {
            var control = input[offset];
            var length = Math.Min(input[offset + 1] * 8, input.Length - offset - 2);
            var datagram = input.AsSpan(offset + 2, length).ToArray();
            offset += 2 + length;
            yield return ((control & 1) != 0, (control & 2) != 0, datagram);
        }
    }

    /// <summary>Encodes datagrams the way <see cref="Datagrams"/> reads them (lengths rounded up with zeros to a multiple of 8).</summary>
    internal static byte[] Encode(IEnumerable<(bool ToResponder, bool FromPeer, byte[] Datagram)> datagrams)
    {
        var output = new List<byte>();
        foreach (var (toResponder, fromPeer, datagram) in datagrams)
        {
            var units = (datagram.Length + 7) / 8;
            output.Add((byte)((toResponder ? 1 : 0) | (fromPeer ? 2 : 0)));
            output.Add((byte)units);
            output.AddRange(datagram);
            output.AddRange(new byte[units * 8 - datagram.Length]);
        }
        return [.. output];
    }

    /// <summary>Two channels on a virtual network in virtual time, each datagram delivered 10 ms after it is sent.</summary>
    internal sealed class Pair : IDisposable
    {
        private readonly HistoricalScheduler _scheduler = new();
        private readonly Queue<(IPEndPoint From, IPEndPoint To, byte[] Bytes)> _wire = new();
        private readonly List<IDisposable> _subscriptions = [];

        public Pair(bool connect = true)
        {
            // Fixed, but distinct for each channel a side makes (a second handshake beside the session takes the next
            // one), as random ids are: one id for all would route the session's packets to a second handshake.
            var responderIds = ResponderSessionId;
            var initiatorIds = InitiatorSessionId;
            Responder = SecureDatagramChannel.Accept(new NoiseSecurity(ResponderKey), Send(ResponderAddress),
                new DatagramChannelOptions { SessionIds = () => responderIds++ }, _scheduler);
            Initiator = SecureDatagramChannel.Connect(new NoiseSecurity(InitiatorKey), ResponderAddress, Send(InitiatorAddress),
                new DatagramChannelOptions { SessionIds = () => initiatorIds++ }, _scheduler);
            if (!connect)
                _wire.Clear();
            Collect(Responder, ResponderPayloads);
            Collect(Initiator, InitiatorPayloads);
        }

        public SecureDatagramChannel Initiator { get; }

        public SecureDatagramChannel Responder { get; }

        public List<string> InitiatorPayloads { get; } = [];

        public List<string> ResponderPayloads { get; } = [];

        public Exception? Ended { get; private set; }

        /// <summary>The datagrams each side sent, in order (what the seed corpus records).</summary>
        public List<(IPEndPoint From, IPEndPoint To, byte[] Bytes)> Log { get; } = [];

        /// <summary>Delivers what is on the wire (unless told not to) and runs 100 ms of virtual time, until quiet.</summary>
        public void Run(bool deliver = true)
        {
            for (var round = 0; round < 64; round++)
            {
                if (!deliver)
                    _wire.Clear();
                while (_wire.TryDequeue(out var datagram))
                {
                    var to = datagram.To.Equals(ResponderAddress) ? Responder : datagram.To.Equals(InitiatorAddress) ? Initiator : null;
                    to?.Receive(datagram.From, datagram.Bytes);
                }
                _scheduler.AdvanceBy(TimeSpan.FromMilliseconds(100));
                if (_wire.Count == 0)
                    return;
            }
        }

        public void Dispose()
        {
            foreach (var subscription in _subscriptions)
                subscription.Dispose();
            Initiator.Dispose();
            Responder.Dispose();
        }

        private Transport.SendDatagram Send(IPEndPoint from) => (bytes, to, _) =>
        {
            var datagram = (from, to, bytes.ToArray());
            _wire.Enqueue(datagram);
            Log.Add(datagram);
            return ValueTask.CompletedTask;
        };

        private void Collect(SecureDatagramChannel channel, List<string> payloads) =>
            _subscriptions.Add(channel.Payloads.Subscribe(
                p => payloads.Add(System.Text.Encoding.UTF8.GetString(p.Span)),
                e => Ended ??= e,
                () => Ended ??= new InvalidOperationException("the payloads completed")));
    }
}
