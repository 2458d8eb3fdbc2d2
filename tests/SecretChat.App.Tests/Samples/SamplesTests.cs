using System.Diagnostics;
using System.Text.Json;

namespace SecretChat.App.Tests.Samples;

/// <summary>
/// Issue 23's acceptance test: samples/SecretChat.Samples, a consumer's console project, restored from packs of the
/// libraries in a local feed, does its four parts, and its package graph holds nothing of the command line.
/// </summary>
public class SamplesTests
{
    private const string Version = "0.0.0-sample";

    // Packing five projects, restoring and building the sample on a shared 2-core machine: minutes, not seconds.
    private static readonly TimeSpan StepTimeout = TimeSpan.FromMinutes(8);

    private static readonly string[] Libraries =
    [
        "src/Framing/SecretChat.Framing.csproj",
        "src/Transport/SecretChat.Transport.csproj",
        "src/Security/SecretChat.Security.csproj",
        "src/Signaling/SecretChat.Signaling.csproj",
    ];

    private static readonly string[] SuccessLines =
    [
        "[1] custom module psk-demo over tcp: ok",
        "[1] custom module psk-demo over udp: ok",
        "[2] unix domain socket transport: ok",
        "[3] rx bot over the events: ok",
        "[4] udp stack over a simulated lossy link: ok",
    ];

    private static readonly string[] CliPackages = ["System.CommandLine", "Spectre.Console", "Microsoft.Extensions."];

    // Not the command line's: SecretChat.Signaling logs through ILogger (its server), and this is all that brings.
    private static readonly string[] SignalingLogging = ["Microsoft.Extensions.Logging.Abstractions", "Microsoft.Extensions.DependencyInjection.Abstractions"];

    [Fact]
    public async Task Sample_AgainstPackedLibraries_DoesEveryPartWithoutCliPackages()
    {
        using var temp = new TempDirectory("secretchat-samples-");
        var feed = temp.File("feed");
        var artifacts = temp.File("artifacts");
        var sample = temp.File("samples", "SecretChat.Samples");

        // The chat library first (it builds the others into the same artifacts), then the others from that build.
        await DotnetAsync(TestPaths.RepositoryRoot, "pack", "src/App/Chat/SecretChat.Chat.csproj", "-o", feed, $"-p:Version={Version}", "--artifacts-path", artifacts);
        foreach (var library in Libraries)
            await DotnetAsync(TestPaths.RepositoryRoot, "pack", library, "--no-build", "-o", feed, $"-p:Version={Version}", "--artifacts-path", artifacts);

        CopySample(sample);
        WriteNuGetConfig(Path.Combine(sample, "NuGet.config"), feed, temp.File("packages"));
        var output = await DotnetAsync(sample, ["run", "--project", "SecretChat.Samples.csproj", $"-p:SecretChatVersion={Version}"], checkExitCode: false);

        foreach (var line in SuccessLines)
            Assert.True(output.Contains(line, StringComparison.Ordinal), $"The sample did not print \"{line}\":\n{output}");
        var assetsFile = Path.Combine(sample, "obj", "project.assets.json");
        var packages = PackagesIn(assetsFile);
        Assert.Contains($"SecretChat.Chat/{Version}", packages);
        var cli = packages
            .Where(package => CliPackages.Any(prefix => package.StartsWith(prefix, StringComparison.OrdinalIgnoreCase)))
            .Where(package => !SignalingLogging.Contains(package.Split('/')[0]))
            .ToList();
        Assert.Empty(cli);
        Assert.Contains("Microsoft.Extensions.Logging.Abstractions", DependenciesOf(assetsFile, $"SecretChat.Signaling/{Version}"));
    }

    /// <summary>The sample and the props that make it stand alone, as in the repository (samples/ and its project folder).</summary>
    private static void CopySample(string destination)
    {
        var samples = Path.Combine(TestPaths.RepositoryRoot, "samples");
        Directory.CreateDirectory(destination);
        foreach (var props in new[] { "Directory.Build.props", "Directory.Packages.props" })
            File.Copy(Path.Combine(samples, props), Path.Combine(Path.GetDirectoryName(destination)!, props));
        foreach (var file in Directory.GetFiles(Path.Combine(samples, "SecretChat.Samples")).Where(f => f.EndsWith(".cs", StringComparison.Ordinal) || f.EndsWith(".csproj", StringComparison.Ordinal)))
            File.Copy(file, Path.Combine(destination, Path.GetFileName(file)));
    }

    /// <summary>
    /// The packs' feed beside the machine's default source, packages extracted into a folder of this test (a fixed
    /// version must never come from an earlier run's cache), and the machine's packages folder as a fallback.
    /// </summary>
    private static void WriteNuGetConfig(string path, string feed, string packages)
    {
        var machinePackages = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
            ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        File.WriteAllText(path, $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <config>
                <add key="globalPackagesFolder" value="{packages}" />
              </config>
              <packageSources>
                <add key="secretchat-packs" value="{feed}" />
              </packageSources>
              <fallbackPackageFolders>
                <add key="machine" value="{machinePackages}" />
              </fallbackPackageFolders>
            </configuration>
            """);
    }

    /// <summary>Every package in the restore graph, as <c>Id/Version</c>.</summary>
    private static List<string> PackagesIn(string assetsFile)
    {
        using var assets = JsonDocument.Parse(File.ReadAllText(assetsFile));
        return assets.RootElement.GetProperty("libraries").EnumerateObject()
            .Where(library => library.Value.GetProperty("type").GetString() == "package")
            .Select(library => library.Name)
            .ToList();
    }

    /// <summary>The direct dependencies of <paramref name="package"/> (<c>Id/Version</c>) in the restore graph.</summary>
    private static List<string> DependenciesOf(string assetsFile, string package)
    {
        using var assets = JsonDocument.Parse(File.ReadAllText(assetsFile));
        var target = assets.RootElement.GetProperty("targets").EnumerateObject().First().Value;
        return target.GetProperty(package).TryGetProperty("dependencies", out var dependencies)
            ? dependencies.EnumerateObject().Select(dependency => dependency.Name).ToList()
            : [];
    }

    private static Task<string> DotnetAsync(string workingDirectory, params string[] arguments) => DotnetAsync(workingDirectory, arguments, checkExitCode: true);

    private static async Task<string> DotnetAsync(string workingDirectory, string[] arguments, bool checkExitCode)
    {
        var info = new ProcessStartInfo("dotnet", [.. arguments, "--disable-build-servers"])
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        // The test host's MSBuild settings belong to the build that made it, not to these builds.
        foreach (var name in info.Environment.Keys.Where(k => k.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase)).ToList())
            info.Environment.Remove(name);
        info.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        info.Environment["DOTNET_NOLOGO"] = "1";

        using var process = Process.Start(info) ?? throw new InvalidOperationException("dotnet did not start");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(StepTimeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"dotnet {string.Join(' ', arguments)} took longer than {StepTimeout}.");
        }
        var output = await stdout + await stderr;
        Assert.True(!checkExitCode || process.ExitCode == 0, $"dotnet {string.Join(' ', arguments)} exited with {process.ExitCode}:\n{output}");
        return output;
    }
}
