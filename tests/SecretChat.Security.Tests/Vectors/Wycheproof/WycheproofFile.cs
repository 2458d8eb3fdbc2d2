using System.Text.Json;
using SecretChat.Tests;

namespace SecretChat.Security.Tests.Vectors.Wycheproof;

/// <summary>Reads a Wycheproof file from <c>tests/vectors/wycheproof</c> at test time.</summary>
internal static class WycheproofFile
{
    public static JsonDocument Load(string fileName)
    {
        var path = TestPaths.Vector("wycheproof", fileName);
        return JsonDocument.Parse(File.ReadAllBytes(path));
    }

    public static IEnumerable<(JsonElement Group, JsonElement Test)> Cases(JsonDocument document)
    {
        foreach (var group in document.RootElement.GetProperty("testGroups").EnumerateArray())
            foreach (var test in group.GetProperty("tests").EnumerateArray())
                yield return (group, test);
    }

    public static byte[] Hex(this JsonElement element, string name) => Convert.FromHexString(element.GetProperty(name).GetString()!);

    public static string Result(this JsonElement test) => test.GetProperty("result").GetString()!;

    public static int Id(this JsonElement test) => test.GetProperty("tcId").GetInt32();
}
