using System.Reflection;
using PublicApiGenerator;

namespace SecretChat.Packaging.Tests;

/// <summary>
/// The public API of each library, compared with its approved text in <c>PublicApi/</c>. A change to the API fails
/// here until it is approved by regenerating those files (docs/EXTENDING.md, "Public API"):
/// <c>SECRETCHAT_APPROVE_API=1 dotnet test tests/SecretChat.Packaging.Tests --filter PublicApi</c>,
/// then the diff of <c>PublicApi/*.approved.txt</c> is reviewed with the change.
/// </summary>
public sealed class PublicApiTests
{
    private const string ApproveVariable = "SECRETCHAT_APPROVE_API";

    private static readonly string[] LibraryNames =
        ["SecretChat.Framing", "SecretChat.Transport", "SecretChat.Security", "SecretChat.Signaling", "SecretChat.Chat"];

    private static string ApprovedFolder { get; } =
        Path.Combine(TestPaths.RepositoryRoot, "tests", "SecretChat.Packaging.Tests", "PublicApi");

    public static TheoryData<string> Libraries => new(LibraryNames);

    [Theory]
    [MemberData(nameof(Libraries))]
    public void PublicApi_ComparedWithApprovedFile_IsUnchanged(string assemblyName)
    {
        var current = GeneratePublicApi(assemblyName);
        var path = Path.Combine(ApprovedFolder, assemblyName + ".approved.txt");
        if (Environment.GetEnvironmentVariable(ApproveVariable) == "1")
        {
            File.WriteAllText(path, current);
            return;
        }

        Assert.True(File.Exists(path), $"{path} is missing. {HowToApprove}");
        var approved = File.ReadAllText(path).ReplaceLineEndings("\n");
        if (approved == current)
            return;

        var approvedLines = approved.Split('\n');
        var currentLines = current.Split('\n');
        var removed = approvedLines.Except(currentLines).Take(20).Select(line => "  - " + line.Trim());
        var added = currentLines.Except(approvedLines).Take(20).Select(line => "  + " + line.Trim());
        Assert.Fail(
            $"The public API of {assemblyName} differs from {path}:\n" +
            string.Join('\n', removed.Concat(added)) +
            $"\n{HowToApprove}");
    }

    [Fact]
    public void ApprovedFolder_Listed_HoldsOneFilePerLibrary()
    {
        var files = Directory.GetFiles(ApprovedFolder, "*.approved.txt").Select(Path.GetFileName).Order();

        Assert.Equal(LibraryNames.Select(name => name + ".approved.txt").Order(), files);
    }

    private static string HowToApprove =>
        $"If the change is intended, approve it: {ApproveVariable}=1 dotnet test tests/SecretChat.Packaging.Tests " +
        "--filter PublicApi, and commit the diff of the approved files with the change.";

    private static string GeneratePublicApi(string assemblyName)
    {
        // Assembly attributes (InternalsVisibleTo, the target framework) are not API: leaving them out keeps the
        // approved files to what a user of the package can call.
        var options = new ApiGeneratorOptions { IncludeAssemblyAttributes = false };
        var api = Assembly.Load(assemblyName).GeneratePublicApi(options).ReplaceLineEndings("\n");
        return api.EndsWith('\n') ? api : api + "\n";
    }
}
