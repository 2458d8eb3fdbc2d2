using System.Text.Json;

namespace SecretChat.Tests;

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

    /// <summary>Every test case, without its group.</summary>
    public static IEnumerable<JsonElement> Tests(JsonDocument document) => Cases(document).Select(c => c.Test);

    public static byte[] Hex(this JsonElement element, string name) => Convert.FromHexString(element.GetProperty(name).GetString()!);

    public static string Result(this JsonElement test) => test.GetProperty("result").GetString()!;

    public static int Id(this JsonElement test) => test.GetProperty("tcId").GetInt32();

    public static bool HasFlag(this JsonElement test, string flag) =>
        test.GetProperty("flags").EnumerateArray().Any(f => f.GetString() == flag);
}
