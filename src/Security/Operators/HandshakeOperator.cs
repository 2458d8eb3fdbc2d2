using System.Buffers;
using System.Reactive.Concurrency;
using System.Reactive.Disposables;
using System.Reactive.Linq;
using System.Security.Cryptography;

namespace SecretChat.Security;

public static partial class SecureObservable
{
    /// <summary>
    /// Runs a protocol-2 handshake over a stream of frames and emits the resulting <see cref="SecureSession"/> once,
    /// then completes. The initiator sends its <see cref="ProtocolHello"/> and, without waiting, its first handshake
    /// message; the responder answers with its own hello and its handshake message, whose payload echoes that hello
    /// (so a rewritten hello fails the handshake) and carries the responder's <paramref name="greeting"/>; the
    /// initiator's greeting rides in its last handshake message.
    /// </summary>
    /// <remarks>
    /// The session is emitted synchronously from inside the <c>OnNext</c> of the frame that completed
    /// the handshake (or right after this side's last write), so a subscriber that attaches the
    /// decryption stage there (<c>Publish</c> + <c>SelectMany</c>) never misses a frame, and the initiator's first
    /// message can follow its last handshake message at once. Messages are handed to <paramref name="send"/> in
    /// order; the transport must write them in call order.
    /// A refused hello (no common version, another module, the same role) fails both sides with the same sentence:
    /// the responder still sends its hello, so the initiator reaches the reason from its side. A version-1 peer's
    /// hello is answered with a hello in the version-1 layout naming version 2, which a version-1 peer shows as
    /// "the peer speaks version 2". Fails with <see cref="HandshakeException"/>: a refused or broken handshake, the
    /// peer closing, the transport failing, or no completion within <paramref name="timeout"/>.
    /// </remarks>
    public static IObservable<SecureSession> Handshake(
        this IObservable<ReadOnlySequence<byte>> frames,
        ISecurityModule security,
        HandshakeRole role,
        Func<ReadOnlyMemory<byte>, CancellationToken, ValueTask> send,
        TimeSpan timeout,
        IScheduler? scheduler = null,
        HandshakeGreeting? greeting = null)
    {
        ArgumentNullException.ThrowIfNull(frames);
        ArgumentNullException.ThrowIfNull(security);
        ArgumentNullException.ThrowIfNull(send);
        if (role is not (HandshakeRole.Initiator or HandshakeRole.Responder))
            throw new ArgumentOutOfRangeException(nameof(role), role, "The role must be Initiator or Responder.");
        if (timeout <= TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(timeout), timeout, "The handshake timeout must be positive.");
        var clock = scheduler ?? DefaultScheduler.Instance;

        return Observable.Create<SecureSession>(observer =>
        {
            var run = new HandshakeRun(security, role, send, observer, clock, greeting ?? HandshakeGreeting.Empty);
            var timer = clock.Schedule(timeout, () => run.Fail(new HandshakeException(
                $"The peer did not complete the handshake within {timeout.TotalSeconds:0.#} s.")));
            var subscription = new SingleAssignmentDisposable();
            run.Stopped = subscription;
            subscription.Disposable = frames.Subscribe(run);
            run.Start();
            return new CompositeDisposable(subscription, timer, run);
        });
    }

    /// <summary>One handshake in progress: the observer of the frames and the driver of the state machine.</summary>
    private sealed class HandshakeRun(
        ISecurityModule security,
        HandshakeRole role,
        Func<ReadOnlyMemory<byte>, CancellationToken, ValueTask> send,
        IObserver<SecureSession> downstream,
        IScheduler scheduler,
        HandshakeGreeting greeting) : IObserver<ReadOnlySequence<byte>>, IDisposable
    {
        private readonly Lock _gate = new();
        private readonly CancellationTokenSource _cancel = new();
        private readonly ProtocolHello _local = ProtocolHello.Local(security, role);
        private readonly HandshakeTranscript _transcript = new(role);
        private IHandshake? _handshake;
        private bool _done;
        private bool _succeeded;

        public IDisposable? Stopped { get; set; }

        public void Start()
        {
            lock (_gate)
            {
                if (_done || role != HandshakeRole.Initiator)
                    return;
                // The initiator's hello and its first handshake message leave together: no round trip for the hellos.
                Send(_local.ToArray());
                Run(() =>
                {
                    _handshake = security.CreateHandshake(role, ProtocolHello.Prologue(_local));
                    Advance();
                });
            }
        }

        public void OnNext(ReadOnlySequence<byte> frame)
        {
            lock (_gate)
            {
                if (_done)
                    return;
                Run(() =>
                {
                    if (_transcript.PeerHello is null)
                        OnPeerHello(ProtocolHello.Parse(Contiguous(frame)));
                    else if (_handshake!.Status == HandshakeStatus.MustRead)
                    {
                        _transcript.OnPeerPayload(_handshake.ReadMessage(Contiguous(frame)), _handshake);
                        Advance();
                    }
                    else
                        throw new HandshakeException("The peer sent data out of turn during the handshake.");
                });
            }
        }

        public void OnError(Exception error) => Fail(new HandshakeException(
            $"The connection failed during the handshake: {error.Message}", error));

        public void OnCompleted() => Fail(new HandshakeException(
            "The peer closed the connection during the handshake."));

        public void Fail(HandshakeException error)
        {
            lock (_gate)
            {
                if (_done)
                    return;
                _done = true;
            }
            Stopped?.Dispose();
            _handshake?.Dispose();
            downstream.OnError(error);
        }

        public void Dispose()
        {
            lock (_gate)
            {
                _done = true;
                // After success the last messages may still be queued or flushing (over TCP a send completes only
                // once the socket took it): cancelling them would drop a message the peer needs to finish, and it
                // would wait until its timeout. Only a handshake that ends without a session gives up its sends.
                if (_succeeded)
                    return;
            }
            _cancel.Cancel();
            _cancel.Dispose();
        }

        private void Run(Action step)
        {
            try
            {
                step();
            }
            catch (HandshakeException e)
            {
                Fail(e);
            }
            catch (Exception e) when (e is InvalidOperationException or ArgumentException or FormatException or CryptographicException)
            {
                Fail(new HandshakeException($"The peer's handshake message is invalid: {e.Message}", e));
            }
        }

        private void OnPeerHello(ProtocolHello peer)
        {
            if (role == HandshakeRole.Responder)
            {
                if (peer.IsLegacy)
                    Send(_local.LegacyRefusal());
                else
                    Send(_local.ToArray()); // refused or not: the initiator reaches the same reason from its side
                _transcript.OnPeerHello(peer, _local);
                _handshake = security.CreateHandshake(role, ProtocolHello.Prologue(peer));
            }
            else
                _transcript.OnPeerHello(peer, _local);
            Advance();
        }

        /// <summary>Writes while it is this side's turn; emits the session once complete.</summary>
        private void Advance()
        {
            var handshake = _handshake!;
            while (handshake.Status == HandshakeStatus.MustWrite)
            {
                var output = new ArrayBufferWriter<byte>();
                handshake.WriteMessage(_transcript.NextPayload(handshake, _local, greeting), output);
                Send(output.WrittenMemory);
            }

            // The initiator's handshake cannot complete before the responder's hello came (it reads the echo first).
            if (handshake.Status != HandshakeStatus.Complete || _transcript.PeerHello is null)
                return;
            _transcript.EnsureConfirmed();
            _done = true;
            _succeeded = true;
            var session = handshake.Split();
            _transcript.Complete(session);
            handshake.Dispose();
            Stopped?.Dispose();
            downstream.OnNext(session);
            downstream.OnCompleted();
        }

        private void Send(ReadOnlyMemory<byte> message)
        {
            ValueTask sending;
            try
            {
                sending = send(message, _cancel.Token);
            }
            catch (Exception e)
            {
                // Not inline: this runs inside a step of the handshake (under its lock, mid-write); failing later, on
                // the operator's scheduler, leaves that step to finish first.
                scheduler.Schedule(() => OnError(e));
                return;
            }
            if (sending.IsCompletedSuccessfully)
                return;
            _ = ObserveFailure(sending);
        }

        private async Task ObserveFailure(ValueTask sending)
        {
            try
            {
                await sending.ConfigureAwait(false);
            }
            catch (Exception e)
            {
                OnError(e);
            }
        }

        private static ReadOnlySpan<byte> Contiguous(in ReadOnlySequence<byte> frame) =>
            frame.IsSingleSegment ? frame.FirstSpan : frame.ToArray();
    }
}
