using System.Text;
using SecretChat.Cli;

// The composition root. The connector behind DefaultServices is the only thing that knows the real stack.
Console.OutputEncoding = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false);
using var interrupted = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    // The first Ctrl+C closes the session cleanly; a second one ends the process at once.
    if (interrupted.IsCancellationRequested) return;
    e.Cancel = true;
    interrupted.Cancel();
};

return await new CliApp(SecretChat.Cli.Interaction.SystemConsoleIO.Instance, DefaultServices.CreateConnector)
    .RunAsync(args, interrupted.Token);
