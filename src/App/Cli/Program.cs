using System.Text;
using SecretChat.Cli;

// The composition root. The connector behind DefaultServices is the only thing that knows the real stack.
Console.OutputEncoding = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false);
using var signals = new ShutdownSignals();
return signals.ExitCode(await new CliApp(SecretChat.Cli.Interaction.SystemConsoleIO.Instance, DefaultServices.CreateConnector)
    .RunAsync(args, signals.Token));
