using System.Net;
using System.Net.Sockets;
using System.Reactive.Concurrency;
using SecretChat.Chat;
using SecretChat.Security;
using SecretChat.Security.Datagrams;
using SecretChat.Signaling;
using SecretChat.Signaling.PeerToPeer;
using SecretChat.Transport;

namespace SecretChat.Chat.Composition;

/// <summary>A chat's channel over a punched path: meet the peer at the signaling server, punch through both NATs, run the UDP session over the hole.</summary>
internal static class PeerToPeerChatConnection
{
    // The verifier is asked about each candidate's peer before a path is chosen: a refused one (another host at a
    // candidate's address, with another key) is dropped and the other candidates are still tried. The chat asks it
    // again about the chosen session and gets the same answer.
    public static async Task<ISecureChannel> ConnectAsync(
        IReadOnlyList<HostPort> servers, ISecurityModule security, AdmittedPeers verifier, ChatOptions options, IScheduler scheduler, IHostResolver resolver,
        IProgress<string>? progress, CancellationToken cancellationToken)
    {
        // A code meets at its nameplate; a code without one asks the server for one (this side shows the code then).
        var room = options.PairingCode is { } code
            ? code.Nameplate is { } number ? SignalingCodec.NameplateRoom(number) : SignalingCodec.AllocateNameplateRoom
            : options.Room;
        if (string.IsNullOrWhiteSpace(room))
            throw new ChatFailedException("A room name is needed to meet the peer (--room NAME).");
        // Every address of every server, in order: the client moves to the next when its server stops answering.
        var serverAddresses = await SignalingServerList.ResolveAsync(servers, resolver, cancellationToken).ConfigureAwait(false);
        var serverAddress = serverAddresses[0];
        var local = options.LocalAddress ?? DefaultLocalAddress(serverAddress.Address);
        if (local.AddressFamily != serverAddress.AddressFamily && !local.Equals(IPAddress.IPv6Any))
            throw new ChatFailedException($"The local address {local} cannot reach the signaling server at {serverAddress}: one is IPv4, the other IPv6.");
        // A socket of one family tries that family's addresses only (the first server's is always among them).
        var attempt = PunchAttempt.Start(SignalingServerList.ReachableFrom(serverAddresses, local), local, scheduler, PeerToPeerOptions.Default with { RelayFallback = options.RelayFallback });
        try
        {
            var match = await MeetWithinAsync(
                token => attempt.MeetAsync(room, progress,
                    number => options.CodeAllocated?.Invoke(options.PairingCode!.WithNameplate(number)), token),
                options, scheduler, cancellationToken).ConfigureAwait(false);
            progress?.Report($"met the peer (this side is the {(attempt.Role == HandshakeRole.Initiator ? "initiator" : "responder")})");
            var channelOptions = UdpChatConnection.DatagramOptions(options) with { AdmitPeer = verifier.Admit };
            var punched = await attempt.PunchAsync(security, match, channelOptions, progress, cancellationToken).ConfigureAwait(false);
            progress?.Report(punched.Relayed
                ? $"connected through the relay at {attempt.Relay} ({PathText.Failure(punched.DirectFailure!)}); still trying the direct path"
                : $"direct path to {punched.Channel.RemoteEndPoint} open");
            return new ReliableDatagramChannel(punched.Channel, UdpChatConnection.ReliabilityOptions(options), scheduler, owned: attempt, path: attempt.ManagePath(punched));
        }
        catch (PeerRefusedException e) when (verifier.Verifier is PinnedPeerVerifier { LastRefused: { } refused } pins)
        {
            // Every candidate's peer was refused, the last for its pinned key: the same error as a refused TCP or UDP peer (/trust).
            await attempt.DisposeAsync().ConfigureAwait(false);
            throw new PeerKeyChangedException(e.Message, refused.Name, refused.Key, pins.KnownPeers.FilePath);
        }
        catch (Exception e) when (e is SignalingException or HandshakeException or ArgumentException)
        {
            await attempt.DisposeAsync().ConfigureAwait(false);
            throw new ChatFailedException(ChatFailedException.Sentence(UserSentences.Plain(e)), e);
        }
        catch
        {
            await attempt.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Waits for the peer in the room (or at the code's nameplate) for at most <see cref="ChatOptions.PeerWait"/> (on the scheduler's clock).</summary>
    private static async Task<PeerMatch> MeetWithinAsync(
        Func<CancellationToken, Task<PeerMatch>> meet, ChatOptions options, IScheduler scheduler, CancellationToken cancellationToken)
    {
        if (options.PeerWait == Timeout.InfiniteTimeSpan)
            return await meet(cancellationToken).ConfigureAwait(false);
        using var waited = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var expired = false;
        using var timer = scheduler.Schedule(options.PeerWait, () =>
        {
            Volatile.Write(ref expired, true);
            waited.Cancel();
        });
        try
        {
            return await meet(waited.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (Volatile.Read(ref expired) && !cancellationToken.IsCancellationRequested)
        {
            throw new ChatFailedException(options.PairingCode is null
                ? UserSentences.NoPeerCame(options.Room!, options.PeerWait)
                : UserSentences.NobodyEnteredTheCode(options.PeerWait));
        }
    }

    /// <summary>
    /// Where the p2p socket binds when not told: a signaling server on loopback means the peer is on this machine,
    /// so loopback (nothing is announced or probed beyond it); otherwise one dual-stack socket on every address of
    /// both families (IPv6 candidates are announced first, IPv4 is the fallback), or every IPv4 address on a machine
    /// without IPv6.
    /// </summary>
    private static IPAddress DefaultLocalAddress(IPAddress server) =>
        IPAddress.IsLoopback(server) ? server
        : Socket.OSSupportsIPv6 ? IPAddress.IPv6Any
        : server.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any
        : IPAddress.Any;
}
