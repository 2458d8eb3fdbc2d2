using System.Runtime.InteropServices;
using SecretChat.Cli.Interaction;

namespace SecretChat.Cli;

/// <summary>
/// Ctrl+C (SIGINT) and SIGTERM as one cancellation: the first closes the session cleanly (the peer is told), and the
/// process exits with <see cref="ExitCodes.Interrupted"/> or <see cref="ExitCodes.Terminated"/>; a second Ctrl+C or
/// SIGTERM ends the process at once, as the default handler would.
/// </summary>
internal sealed class ShutdownSignals : IDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly PosixSignalRegistration[] _registrations;
    private int _received;
    private volatile bool _terminated;

    public ShutdownSignals()
    {
        _registrations =
        [
            PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal),
            PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal),
        ];
    }

    /// <summary>Cancelled by the first signal.</summary>
    public CancellationToken Token => _stop.Token;

    /// <summary>
    /// The exit code for <paramref name="code"/> returned by the command: an interrupted command exits with the code of
    /// the signal that interrupted it (130 for SIGINT, 143 for SIGTERM), as shells expect.
    /// </summary>
    public int ExitCode(int code) => code == ExitCodes.Interrupted && _terminated ? ExitCodes.Terminated : code;

    private void OnSignal(PosixSignalContext context)
    {
        if (Interlocked.Increment(ref _received) > 1)
            return; // the second one: the default action ends the process now
        context.Cancel = true;
        _terminated = context.Signal == PosixSignal.SIGTERM;
        _stop.Cancel();
    }

    public void Dispose()
    {
        foreach (var registration in _registrations)
            registration.Dispose();
        _stop.Dispose();
    }
}
