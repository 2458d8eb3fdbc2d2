using SecretChat.Samples;

// Each part prints one line: "ok" when it did what it shows, else why not. The exit code counts the failures.
var parts = new (string Name, Func<Task> Run)[]
{
    ("[1] custom module psk-demo over tcp", () => CustomModule.RunAsync(overUdp: false)),
    ("[1] custom module psk-demo over udp", () => CustomModule.RunAsync(overUdp: true)),
    ("[2] unix domain socket transport", UnixSocketTransport.RunAsync),
    ("[3] rx bot over the events", EchoBot.RunAsync),
    ("[4] udp stack over a simulated lossy link", LossyLink.RunAsync),
};

var failures = 0;
foreach (var (name, run) in parts)
{
    try
    {
        await run().WaitAsync(TimeSpan.FromSeconds(60));
        Console.WriteLine($"{name}: ok");
    }
    catch (Exception error)
    {
        failures++;
        Console.WriteLine($"{name}: FAILED ({error.GetType().Name}: {error.Message})");
    }
}

return failures;
