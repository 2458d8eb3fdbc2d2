using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace SecretChat.Benchmarks.Infrastructure;

/// <summary>
/// A server the load benchmarks measure, in a process of its own (as an operator runs it), on loopback. Killed on
/// dispose whatever happened; its output is kept for the error when it fails to start.
/// </summary>
internal sealed class ServerProcess : IDisposable
{
    private readonly Process _process;
    private readonly List<string> _output = [];
    private readonly string? _directory;

    private ServerProcess(Process process, string? directory)
    {
        _process = process;
        _directory = directory;
        process.OutputDataReceived += (_, e) => Keep(e.Data);
        process.ErrorDataReceived += (_, e) => Keep(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public int Id => _process.Id;

    /// <summary>Where <c>--serve-signal</c> and coturn put their files (deleted on dispose).</summary>
    public string? Directory => _directory;

    public string Output
    {
        get
        {
            lock (_output)
                return string.Join('\n', _output);
        }
    }

    public static ServerProcess Start(string fileName, IEnumerable<string> arguments, string? directory = null)
    {
        var info = new ProcessStartInfo(fileName) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false };
        foreach (var argument in arguments)
            info.ArgumentList.Add(argument);
        info.Environment["DOTNET_NOLOGO"] = "1";
        return new ServerProcess(Process.Start(info) ?? throw new InvalidOperationException($"{fileName} did not start"), directory);
    }

    /// <summary>Waits for a line of output that <paramref name="match"/> accepts, at most <paramref name="timeout"/>.</summary>
    public string WaitForLine(Func<string, bool> match, TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < timeout)
        {
            lock (_output)
            {
                if (_output.FirstOrDefault(match) is { } line)
                    return line;
                if (_process.HasExited)
                    break;
                Monitor.Wait(_output, TimeSpan.FromMilliseconds(100));
            }
        }

        throw new InvalidOperationException($"{_process.StartInfo.FileName} did not get ready within {timeout.TotalSeconds:0} s (exited: {_process.HasExited}). Its output:\n{Output}");
    }

    /// <summary>Waits until something answers <paramref name="probe"/> sent to <paramref name="server"/> over UDP.</summary>
    public void WaitForUdpAnswer(IPEndPoint server, byte[] probe, TimeSpan timeout)
    {
        using var socket = new Socket(server.AddressFamily, SocketType.Dgram, ProtocolType.Udp) { ReceiveTimeout = 100 };
        socket.Connect(server);
        var buffer = new byte[2048];
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < timeout && !_process.HasExited)
        {
            socket.Send(probe);
            try
            {
                if (socket.Receive(buffer) > 0)
                    return;
            }
            catch (SocketException ex) when (ex.SocketErrorCode is SocketError.TimedOut or SocketError.ConnectionRefused or SocketError.ConnectionReset)
            {
            }
        }

        throw new InvalidOperationException($"{_process.StartInfo.FileName} did not answer on udp {server} within {timeout.TotalSeconds:0} s (exited: {_process.HasExited}). Its output:\n{Output}");
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(10_000);
            }
        }
        finally
        {
            _process.Dispose();
            if (_directory is not null)
            {
                try { System.IO.Directory.Delete(_directory, recursive: true); }
                catch (IOException) { }
            }
        }
    }

    private void Keep(string? line)
    {
        if (line is null)
            return;
        lock (_output)
        {
            if (_output.Count < 10_000)
                _output.Add(line);
            Monitor.PulseAll(_output);
        }
    }

    /// <summary>A UDP port on 127.0.0.1 that was free a moment ago.</summary>
    public static int FreeUdpPort()
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)probe.LocalEndPoint!).Port;
    }
}
