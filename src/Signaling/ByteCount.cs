using System.Globalization;

namespace SecretChat.Signaling;

/// <summary>Byte counts as an operator reads them in limits: "256 KiB", "1 MiB", "1.5 GiB".</summary>
internal static class ByteCount
{
    private const long KiB = 1024, MiB = KiB * 1024, GiB = MiB * 1024;

    public static string Format(long bytes) => bytes switch
    {
        >= GiB => Unit(bytes, GiB, "GiB"),
        >= MiB => Unit(bytes, MiB, "MiB"),
        >= KiB => Unit(bytes, KiB, "KiB"),
        _ => bytes.ToString(CultureInfo.InvariantCulture) + " bytes",
    };

    private static string Unit(long bytes, long unit, string name) =>
        ((double)bytes / unit).ToString("0.##", CultureInfo.InvariantCulture) + " " + name;
}
