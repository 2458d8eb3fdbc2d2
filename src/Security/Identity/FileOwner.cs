using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace SecretChat.Security.Identity;

/// <summary>
/// Who owns a file, and who this process is, on Linux (statx and geteuid from libc; .NET has no API for a file's
/// owner). statx is used because its buffer has the same layout on every architecture, unlike stat's.
/// </summary>
internal static class FileOwner
{
    private const int AtFdCwd = -100;
    private const uint StatxUid = 0x0008;
    private const int StatxUidOffset = 20;

    /// <summary>Whether owners can be read here (Linux).</summary>
    public static bool IsSupported => OperatingSystem.IsLinux();

    /// <summary>The effective user id of this process.</summary>
    public static uint EffectiveUserId => geteuid();

    /// <summary>The user id that owns <paramref name="path"/> (a symbolic link is followed).</summary>
    /// <exception cref="IOException">statx failed.</exception>
    public static uint OwnerOf(string path)
    {
        var buffer = new byte[256];
        if (statx(AtFdCwd, path, 0, StatxUid, buffer) != 0)
            throw new IOException($"Cannot read the owner of {path} (errno {Marshal.GetLastPInvokeError()}).");
        return BinaryPrimitives.ReadUInt32LittleEndian(buffer.AsSpan(StatxUidOffset));
    }

    // DllImport rather than LibraryImport: the assembly does not allow unsafe code, and these two calls are rare.
    [DllImport("libc", SetLastError = true)]
    private static extern int statx(int dirfd, [MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags, uint mask, [Out] byte[] buffer);

    [DllImport("libc")]
    private static extern uint geteuid();
}
