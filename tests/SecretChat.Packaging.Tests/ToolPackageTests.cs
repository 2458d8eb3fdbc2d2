using System.Diagnostics;
using System.IO.Compression;
using System.Reflection;
using System.Xml.Linq;
using SecretChat.Tests;

namespace SecretChat.Packaging.Tests;

/// <summary>
/// The program as a user installs it: <c>dotnet pack</c> makes a .NET tool package (command <c>secretchat</c>), which
/// <c>dotnet tool install --tool-path DIR --add-source FOLDER SecretChat</c> installs from that folder alone (no other
/// package source), and the installed command runs.
/// </summary>
public sealed class ToolPackageTests
{
    // Packing and installing each start an MSBuild or NuGet in another process; on a loaded two-core machine that takes a while.
    private static readonly TimeSpan StepTimeout = TimeSpan.FromMinutes(4);

    [Fact]
    public async Task ToolPackage_PackedAndInstalledToAToolPath_RunsAndPrintsTheVersion()
    {
        using var work = new TempDirectory("secretchat-tool-");
        var packages = Directory.CreateDirectory(Path.Combine(work.Path, "packages")).FullName;
        var tools = Path.Combine(work.Path, "tools");
        // Only the folder we packed into: the install must not need (or reach) any other source.
        var config = work.WriteFile("nuget.config", """
            <?xml version="1.0" encoding="utf-8"?>
            <configuration><packageSources><clear /></packageSources></configuration>
            """);
        var configuration = typeof(ToolPackageTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .Single(a => a.Key == "SecretChat.Packaging.Tests.Configuration").Value!;

        await DotnetAsync(["pack", Path.Combine(TestPaths.RepositoryRoot, "src", "App", "Cli", "SecretChat.Cli.csproj"), "--no-build", "-c", configuration, "-o", packages, "-nologo", "-v", "q"], work.Path);

        var package = Assert.Single(Directory.GetFiles(packages, "SecretChat.*.nupkg"));
        using (var zip = ZipFile.OpenRead(package))
        {
            XElement settings;
            var entry = zip.Entries.Single(e => e.FullName.EndsWith("/DotnetToolSettings.xml", StringComparison.Ordinal));
            using (var stream = entry.Open())
                settings = XDocument.Load(stream).Root!;
            var command = settings.Descendants().Single(e => e.Name.LocalName == "Command");
            Assert.Equal("secretchat", (string?)command.Attribute("Name"));
            Assert.Equal("secretchat.dll", (string?)command.Attribute("EntryPoint"));
            Assert.NotNull(zip.GetEntry("README.md"));
        }

        await DotnetAsync(["tool", "install", "--tool-path", tools, "--configfile", config, "--add-source", packages, "SecretChat"], work.Path,
            ("NUGET_PACKAGES", Path.Combine(work.Path, "nuget-cache"))); // not the user's cache: always this package

        var executable = Path.Combine(tools, OperatingSystem.IsWindows() ? "secretchat.exe" : "secretchat");
        Assert.True(File.Exists(executable), $"{executable} was not installed");
        var version = await RunAsync(executable, ["-V"], work.Path);
        Assert.Matches(@"^0\.9\.0(\+[0-9a-f]+)?$", version.Trim());
    }

    private static Task<string> DotnetAsync(string[] arguments, string workingDirectory, params (string Name, string Value)[] environment) =>
        RunAsync(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet", arguments, workingDirectory, environment);

    private static async Task<string> RunAsync(string program, string[] arguments, string workingDirectory, params (string Name, string Value)[] environment)
    {
        var start = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory,
        };
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        // The test host runs under an MSBuild that may have set these; the child picks its own SDK.
        foreach (var name in new[] { "MSBuildExtensionsPath", "MSBUILD_EXE_PATH", "MSBuildSDKsPath", "MSBuildLoadMicrosoftTargetsReadOnly" })
            start.Environment.Remove(name);
        foreach (var (name, value) in environment)
            start.Environment[name] = value;

        using var process = Process.Start(start)!;
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
            throw new TimeoutException($"{program} {string.Join(' ', arguments)} did not finish within {StepTimeout}.");
        }

        var output = await stdout;
        var log = output + await stderr;
        Assert.True(process.ExitCode == 0, $"{program} {string.Join(' ', arguments)} exited with {process.ExitCode}:\n{log}");
        Assert.DoesNotContain("warning", log, StringComparison.OrdinalIgnoreCase);
        return output;
    }
}
