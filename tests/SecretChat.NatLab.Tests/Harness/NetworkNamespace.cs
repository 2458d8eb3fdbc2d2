using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace SecretChat.NatLab.Tests.Harness;

/// <summary>
/// Opens sockets inside a lab namespace from this process: a socket belongs to the namespace of the thread
/// that created it, so a dedicated thread enters the namespace (setns), creates and binds the socket, and
/// returns. The socket keeps working from any thread afterwards.
/// </summary>
internal static partial class NetworkNamespace
{
    private const int CloneNewNet = 0x40000000;

    public static Task<Socket> OpenUdpSocketAsync(string name, IPEndPoint bindTo) => RunInAsync(name, () =>
    {
        var socket = new Socket(bindTo.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            if (bindTo.Address.Equals(IPAddress.IPv6Any))
                socket.DualMode = true;
            socket.Bind(bindTo);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    });

    /// <summary>
    /// Runs <paramref name="open"/> inside the namespace <paramref name="name"/>: every socket it creates (a signaling
    /// server's too) lives there. It must not keep the thread: it runs on one made for it, which ends after.
    /// </summary>
    public static Task<T> RunInAsync<T>(string name, Func<T> open)
    {
        var opened = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        // A dedicated thread, so a thread left in a lab namespace (if going home failed) ends with it.
        var thread = new Thread(() =>
        {
            try
            {
                opened.SetResult(RunIn(name, open));
            }
            catch (Exception e)
            {
                opened.SetException(e);
            }
        })
        { IsBackground = true, Name = $"setns {name}" };
        thread.Start();
        return opened.Task.WaitAsync(Timeouts.Default);
    }

    private static T RunIn<T>(string name, Func<T> open)
    {
        using var home = File.OpenHandle("/proc/thread-self/ns/net");
        using var lab = File.OpenHandle(Path.Combine("/run/netns", name));
        Enter(lab, name);
        try
        {
            return open();
        }
        finally
        {
            Enter(home, "the test's own namespace");
        }
    }

    private static void Enter(SafeFileHandle handle, string what)
    {
        if (SetNamespace(handle, CloneNewNet) != 0)
            throw new IOException($"setns into {what} failed: errno {Marshal.GetLastPInvokeError()}.");
    }

    [LibraryImport("libc", EntryPoint = "setns", SetLastError = true)]
    private static partial int SetNamespace(SafeFileHandle fd, int nstype);
}
