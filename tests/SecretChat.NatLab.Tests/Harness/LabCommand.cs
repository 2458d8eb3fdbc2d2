using System.Diagnostics;

namespace SecretChat.NatLab.Tests.Harness;

/// <summary>The result of a command run to completion.</summary>
public sealed record CommandResult(string Command, int ExitCode, string Stdout, string Stderr)
{
    public CommandResult EnsureSuccess() => ExitCode == 0
        ? this
        : throw new InvalidOperationException($"'{Command}' exited with {ExitCode}: {Stderr.Trim()} {Stdout.Trim()}".Trim());
}

/// <summary>Runs a short command (the lab script, ip, iptables, conntrack) with a bound on its time.</summary>
internal static class LabCommand
{
    public static readonly TimeSpan DefaultTimeout = Timeouts.Startup;

    public static async Task<CommandResult> RunAsync(string file, IEnumerable<string> arguments, TimeSpan? timeout = null)
    {
        var info = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
            info.ArgumentList.Add(argument);
        var text = $"{file} {string.Join(' ', info.ArgumentList)}";

        using var process = new Process { StartInfo = info };
        try
        {
            process.Start();
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return new CommandResult(text, 127, "", $"{file} could not start: {e.Message}");
        }
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout ?? DefaultTimeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            throw new TimeoutException($"'{text}' took longer than {(timeout ?? DefaultTimeout).TotalSeconds:0} s. {await stderr}");
        }
        return new CommandResult(text, process.ExitCode, await stdout, await stderr);
    }

    public static Task<CommandResult> RunAsync(string file, params string[] arguments) => RunAsync(file, arguments, null);
}
