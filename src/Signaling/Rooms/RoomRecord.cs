using System.Globalization;
using System.Net;
using System.Text;

namespace SecretChat.Signaling.Rooms;

/// <summary>
/// A room as the Redis store keeps it: one binary record (format version first). What only one node needs (the relay
/// allowance, notices) is not in it.
/// </summary>
internal static class RoomRecord
{
    private const byte Format = 1;

    public static byte[] Write(Room room)
    {
        using var stream = new MemoryStream(256);
        using (var writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true))
        {
            writer.Write(Format);
            writer.Write(room.Name);
            writer.Write(room.Owner.ToString());
            writer.Write(room.Opened.ToUnixTimeMilliseconds());
            writer.Write(room.Burned);
            writer.Write(room.Home?.ToString() ?? "");
            writer.Write((byte)(room.Second is null ? 1 : 2));
            WritePeer(writer, room.First);
            if (room.Second is not null)
                WritePeer(writer, room.Second);
        }

        return stream.ToArray();
    }

    /// <summary>The room in <paramref name="record"/>; a record this version cannot read throws <see cref="InvalidDataException"/>.</summary>
    public static Room Read(byte[] record, long version)
    {
        try
        {
            using var reader = new BinaryReader(new MemoryStream(record), Encoding.UTF8);
            if (reader.ReadByte() != Format)
                throw new InvalidDataException("A room record of another format.");
            var name = reader.ReadString();
            var owner = IPAddress.Parse(reader.ReadString());
            var opened = DateTimeOffset.FromUnixTimeMilliseconds(reader.ReadInt64());
            var burned = reader.ReadBoolean();
            var home = reader.ReadString();
            var count = reader.ReadByte();
            var first = ReadPeer(reader);
            var room = new Room(name, owner, first, opened)
            {
                Opened = opened,
                Home = home.Length == 0 ? null : IPEndPoint.Parse(home),
                Burned = burned,
                Version = version,
            };
            if (count == 2)
                room.Second = ReadPeer(reader);
            return room;
        }
        catch (Exception ex) when (ex is EndOfStreamException or FormatException or ArgumentException or IOException)
        {
            throw new InvalidDataException("A room record that does not parse.", ex);
        }
    }

    private static void WritePeer(BinaryWriter writer, RoomPeer peer)
    {
        writer.Write(peer.Id.Value);
        writer.Write(peer.Token.High);
        writer.Write(peer.Token.Low);
        writer.Write(peer.Reflexive.ToString());
        writer.Write((byte)peer.Role);
        writer.Write(peer.Node?.ToString() ?? "");
        writer.Write((byte)peer.HostCandidates.Count);
        foreach (var candidate in peer.HostCandidates)
            writer.Write(candidate.ToString());
    }

    private static RoomPeer ReadPeer(BinaryReader reader)
    {
        var id = new PeerId(reader.ReadUInt64());
        var token = new MemberToken(reader.ReadUInt64(), reader.ReadUInt64());
        var reflexive = IPEndPoint.Parse(reader.ReadString());
        var role = (PeerRole)reader.ReadByte();
        var node = reader.ReadString();
        var candidates = new IPEndPoint[reader.ReadByte()];
        for (var i = 0; i < candidates.Length; i++)
            candidates[i] = IPEndPoint.Parse(reader.ReadString());
        return new RoomPeer(id, token, reflexive, candidates, role) { Node = node.Length == 0 ? null : IPEndPoint.Parse(node) };
    }

    /// <summary>A peer id as it appears in a key.</summary>
    public static string Key(PeerId peer) => peer.Value.ToString("x16", CultureInfo.InvariantCulture);
}
