using System.Buffers;
using System.Reactive.Linq;

namespace SecretChat.Security;

public static partial class SecureObservable
{
    /// <summary>
    /// Seals each plaintext with <paramref name="sender"/>'s next counter nonce and emits the sealed
    /// frame, valid only during that <c>OnNext</c> (it lives in a pooled buffer). The order of the
    /// output is the order of the nonces: write the frames in that order.
    /// </summary>
    public static IObservable<ReadOnlyMemory<byte>> Encrypt(
        this IObservable<ReadOnlyMemory<byte>> plaintexts,
        CipherState sender)
    {
        ArgumentNullException.ThrowIfNull(plaintexts);
        ArgumentNullException.ThrowIfNull(sender);

        return Observable.Create<ReadOnlyMemory<byte>>(observer => plaintexts.Subscribe(
            plaintext =>
            {
                var length = plaintext.Length + sender.TagSize;
                var sealedFrame = ArrayPool<byte>.Shared.Rent(Math.Max(1, length));
                try
                {
                    try
                    {
                        sender.Seal(default, plaintext.Span, sealedFrame.AsSpan(0, length));
                    }
                    catch (NonceExhaustedException e)
                    {
                        observer.OnError(e);
                        return;
                    }
                    observer.OnNext(sealedFrame.AsMemory(0, length));
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(sealedFrame);
                }
            },
            observer.OnError,
            observer.OnCompleted));
    }
}
