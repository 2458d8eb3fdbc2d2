using System.Threading.Channels;

namespace SecretChat.Cli.Interaction;

/// <summary>Keys from a terminal, one at a time, for the prompt's own line editing (<see cref="InputLine"/>).</summary>
internal interface IKeyInput
{
    /// <summary>The next key; cancelling loses no key.</summary>
    ValueTask<ConsoleKeyInfo> ReadKeyAsync(CancellationToken cancellationToken);

    /// <summary>Throws away every key typed and not read yet, without waiting; returns how many there were.</summary>
    int DiscardPending();
}

/// <summary>
/// The process terminal's keys: one background thread reads them as they are typed (the terminal does not echo them
/// meanwhile) into a queue, so that keys typed while nobody asks for them (the listener waits, a connect is under way)
/// are there to be thrown away, rather than sent to whoever connects next.
/// </summary>
internal sealed class SystemKeyInput : IKeyInput
{
    private readonly Channel<ConsoleKeyInfo> _keys = Channel.CreateUnbounded<ConsoleKeyInfo>(new UnboundedChannelOptions { SingleWriter = true });
    private readonly Lock _gate = new();
    private bool _started;

    public ValueTask<ConsoleKeyInfo> ReadKeyAsync(CancellationToken cancellationToken)
    {
        Start();
        return _keys.Reader.ReadAsync(cancellationToken);
    }

    public int DiscardPending()
    {
        Start();
        var count = 0;
        while (_keys.Reader.TryRead(out _)) count++;
        return count;
    }

    /// <summary>Starts reading keys (from then on the terminal does not echo what is typed: the prompt shows it).</summary>
    public void Start()
    {
        lock (_gate)
        {
            if (_started) return;
            _started = true;
        }
        var reader = new Thread(() =>
        {
            try
            {
                while (true)
                    _keys.Writer.TryWrite(Console.ReadKey(intercept: true));
            }
            catch (InvalidOperationException)
            {
                _keys.Writer.TryComplete(); // the input stopped being a terminal
            }
        })
        { IsBackground = true, Name = "terminal keys" };
        reader.Start();
    }
}
