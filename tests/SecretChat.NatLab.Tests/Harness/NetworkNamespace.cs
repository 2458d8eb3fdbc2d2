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

    public static Task<Socket> OpenUdpSocketAsync(string name, IPEndPoint bindTo)
    {
        var opened = new TaskCompletionSource<Socket>(TaskCreationOptions.RunContinuationsAsynchronously);
        // A dedicated thread, so a thread left in a lab namespace (if going home failed) ends with it.
        var thread = new Thread(() =>
        {
            try
            {
                opened.SetResult(OpenIn(name, bindTo));
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

    private static Socket OpenIn(string name, IPEndPoint bindTo)
    {
        using var home = File.OpenHandle("/proc/thread-self/ns/net");
        using var lab = File.OpenHandle(Path.Combine("/run/netns", name));
        Enter(lab, name);
        try
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            try
            {
                socket.Bind(bindTo);
                return socket;
            }
            catch
            {
                socket.Dispose();
                throw;
            }
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
