using System.Buffers;
using System.Reactive.Disposables;
using System.Reactive.Linq;

namespace SecretChat.Security;

/// <summary>
/// The Rx operators of the security layer: the handshake over a sequence of frames, and decryption after it.
/// </summary>
public static partial class SecureObservable
{
    /// <summary>
    /// Opens each sealed frame with <paramref name="receiver"/>'s next counter nonce and emits the
    /// plaintext, valid only during that <c>OnNext</c> (it lives in a pooled buffer). A frame that
    /// fails authentication ends the sequence with <see cref="AuthenticationFailedException"/>, and
    /// nothing after it is opened. So does a frame longer than <see cref="TransportLimits.MaxSealedMessageSize"/>
    /// (Noise's cap), before any cryptography runs.
    /// </summary>
    public static IObservable<ReadOnlySequence<byte>> Decrypt(
        this IObservable<ReadOnlySequence<byte>> frames,
        CipherState receiver)
    {
        ArgumentNullException.ThrowIfNull(frames);
        ArgumentNullException.ThrowIfNull(receiver);

        return Observable.Create<ReadOnlySequence<byte>>(observer =>
        {
            var subscription = new SingleAssignmentDisposable();
            var failed = false;
            subscription.Disposable = frames.Subscribe(
                frame =>
                {
                    if (failed)
                        return;
                    if (!TryOpen(receiver, frame, observer))
                    {
                        failed = true;
                        subscription.Dispose();
                        observer.OnError(new AuthenticationFailedException());
                    }
                },
                observer.OnError,
                observer.OnCompleted);
            return subscription;
        });
    }

    private static bool TryOpen(CipherState receiver, in ReadOnlySequence<byte> frame, IObserver<ReadOnlySequence<byte>> observer)
    {
        var length = checked((int)frame.Length);
        if (length < receiver.TagSize || length > TransportLimits.MaxSealedMessageSize)
            return false;

        byte[]? joined = null;
        var plaintext = ArrayPool<byte>.Shared.Rent(Math.Max(1, length - receiver.TagSize));
        try
        {
            ReadOnlySpan<byte> ciphertext;
            if (frame.IsSingleSegment)
            {
                ciphertext = frame.FirstSpan;
            }
            else
            {
                joined = ArrayPool<byte>.Shared.Rent(length);
                frame.CopyTo(joined);
                ciphertext = joined.AsSpan(0, length);
            }

            if (!receiver.TryOpen(default, ciphertext, plaintext.AsSpan(0, length - receiver.TagSize)))
                return false;
            observer.OnNext(new ReadOnlySequence<byte>(plaintext, 0, length - receiver.TagSize));
            return true;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(plaintext);
            if (joined is not null)
                ArrayPool<byte>.Shared.Return(joined);
        }
    }
}
