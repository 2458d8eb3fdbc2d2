using System.Diagnostics;
using System.IO.Compression;
using System.Reflection;
using System.Reflection.Metadata;
using System.Text;
using System.Xml.Linq;

namespace SecretChat.Packaging.Tests;

/// <summary>
/// Packs each library as its users get it (<c>dotnet pack --no-build</c> of the build these tests run against) and
/// reads the package: the metadata a package page shows, the symbols with their SourceLink map, and no dependency
/// of the program.
/// </summary>
public sealed class PackageTests
{
    private const string CanonicalRepository = "https://github.com/secretchat/secretchat";

    // The kind of the portable PDB record that holds the SourceLink map (the Portable PDB specification).
    private static readonly Guid SourceLinkKind = new("CC110556-A091-4D38-9FEC-25AB9A351A6A");

    // Packing starts an MSBuild in another process; on a loaded two-core machine that alone takes tens of seconds.
    private static readonly TimeSpan PackTimeout = TimeSpan.FromMinutes(3);

    private static readonly string[] ProgramOnlyPackagePrefixes = ["System.CommandLine", "Spectre.Console", "Microsoft.Extensions."];

    // The one exception: SecretChat.Signaling takes an optional ILogger, the logging abstraction libraries share
    // (no implementation, no configuration). The chat library itself depends on no Microsoft.Extensions package.
    private static readonly Dictionary<string, string[]> AllowedExtensions = new()
    {
        ["SecretChat.Signaling"] = ["Microsoft.Extensions.Logging.Abstractions"],
    };

    public static TheoryData<string, string> Libraries => new()
    {
        { "SecretChat.Framing", "src/Framing/SecretChat.Framing.csproj" },
        { "SecretChat.Transport", "src/Transport/SecretChat.Transport.csproj" },
        { "SecretChat.Security", "src/Security/SecretChat.Security.csproj" },
        { "SecretChat.Signaling", "src/Signaling/SecretChat.Signaling.csproj" },
        { "SecretChat.Chat", "src/App/Chat/SecretChat.Chat.csproj" },
    };

    [Theory]
    [MemberData(nameof(Libraries))]
    public async Task Package_Packed_CarriesMetadataSymbolsAndNoProgramDependency(string id, string project)
    {
        using var output = new TempDirectory("secretchat-pack-");

        await PackAsync(Path.Combine(TestPaths.RepositoryRoot, project), output.Path);

        var package = Assert.Single(Directory.GetFiles(output.Path, id + ".*.nupkg"));
        var symbols = Assert.Single(Directory.GetFiles(output.Path, id + ".*.snupkg"));
        Assert.Contains("\"documents\"", ReadSourceLink(symbols, $"lib/net10.0/{id}.pdb"), StringComparison.Ordinal);
        using var zip = ZipFile.OpenRead(package);
        var nuspec = zip.GetEntry(id + ".nuspec");
        Assert.NotNull(nuspec);
        XElement metadata;
        using (var stream = nuspec.Open())
            metadata = XDocument.Load(stream).Root!.Elements().Single(e => e.Name.LocalName == "metadata");

        Assert.Equal(id, Text(metadata, "id"));
        var description = Text(metadata, "description");
        Assert.False(string.IsNullOrWhiteSpace(description));
        Assert.NotEqual("Package Description", description);
        Assert.False(string.IsNullOrWhiteSpace(Text(metadata, "authors")));

        var license = Child(metadata, "license");
        Assert.Equal("expression", (string?)license.Attribute("type"));
        Assert.Equal("MIT", license.Value);

        Assert.Equal("README.md", Text(metadata, "readme"));
        var readme = zip.GetEntry("README.md");
        Assert.NotNull(readme);
        Assert.True(readme.Length > 0);

        var repository = Child(metadata, "repository");
        Assert.Equal("git", (string?)repository.Attribute("type"));
        Assert.Equal(CanonicalRepository, (string?)repository.Attribute("url"));
        Assert.False(string.IsNullOrEmpty((string?)repository.Attribute("commit")));

        Assert.NotNull(zip.GetEntry($"lib/net10.0/{id}.xml"));

        var dependencies = metadata.Descendants().Where(e => e.Name.LocalName == "dependency")
            .Select(e => (string)e.Attribute("id")!).ToList();
        var allowed = AllowedExtensions.GetValueOrDefault(id, []);
        Assert.DoesNotContain(dependencies, dependency => !allowed.Contains(dependency)
            && ProgramOnlyPackagePrefixes.Any(prefix => dependency.StartsWith(prefix, StringComparison.Ordinal)));
        if (id == "SecretChat.Chat")
        {
            // The chat library depends on the lower layers, Rx and Pipelines, and nothing else (issue 23).
            Assert.Contains("SecretChat.Signaling", dependencies);
            Assert.All(dependencies, dependency => Assert.True(
                dependency.StartsWith("SecretChat.", StringComparison.Ordinal)
                || dependency is "System.Reactive" or "System.IO.Pipelines" or "Pipelines.Sockets.Unofficial",
                $"SecretChat.Chat depends on {dependency}"));
        }
    }

    /// <summary>The SourceLink map in a symbol package's portable PDB (throws when there is none).</summary>
    private static string ReadSourceLink(string symbolPackage, string pdbEntry)
    {
        using var zip = ZipFile.OpenRead(symbolPackage);
        var entry = zip.GetEntry(pdbEntry) ?? throw new Xunit.Sdk.XunitException($"{symbolPackage} has no {pdbEntry}.");
        var pdb = new MemoryStream();
        using (var stream = entry.Open())
            stream.CopyTo(pdb);
        pdb.Position = 0;
        using var provider = MetadataReaderProvider.FromPortablePdbStream(pdb);
        var reader = provider.GetMetadataReader();
        foreach (var handle in reader.GetCustomDebugInformation(EntityHandle.ModuleDefinition))
        {
            var information = reader.GetCustomDebugInformation(handle);
            if (reader.GetGuid(information.Kind) == SourceLinkKind)
                return Encoding.UTF8.GetString(reader.GetBlobBytes(information.Value));
        }
        throw new Xunit.Sdk.XunitException($"{pdbEntry} in {symbolPackage} has no SourceLink map.");
    }

    private static XElement Child(XElement parent, string name) =>
        parent.Elements().SingleOrDefault(e => e.Name.LocalName == name)
        ?? throw new Xunit.Sdk.XunitException($"The nuspec has no <{name}>.");

    private static string Text(XElement parent, string name) => Child(parent, name).Value;

    private static async Task PackAsync(string project, string outputFolder)
    {
        var configuration = typeof(PackageTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .Single(a => a.Key == "SecretChat.Packaging.Tests.Configuration").Value!;
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { "pack", project, "--no-build", "-c", configuration, "-o", outputFolder, "-nologo", "-v", "q" })
            start.ArgumentList.Add(argument);
        // The test host runs under an MSBuild that may have set these; the child picks its own SDK.
        foreach (var name in new[] { "MSBuildExtensionsPath", "MSBUILD_EXE_PATH", "MSBuildSDKsPath", "MSBuildLoadMicrosoftTargetsReadOnly" })
            start.Environment.Remove(name);

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(PackTimeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"dotnet pack {project} did not finish within {PackTimeout}.");
        }

        var log = await stdout + await stderr;
        Assert.True(process.ExitCode == 0, $"dotnet pack {project} exited with {process.ExitCode}:\n{log}");
        Assert.DoesNotContain("warning", log, StringComparison.OrdinalIgnoreCase);
    }
}
