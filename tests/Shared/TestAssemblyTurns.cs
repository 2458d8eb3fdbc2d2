using System.Diagnostics;
using System.Reflection;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace SecretChat.Tests;

/// <summary>
/// Turns between the test assemblies of one repository: <c>dotnet test SecretChat.sln</c> runs test projects side by
/// side (one per MSBuild node; neither runsettings nor <c>BuildInParallel</c> changes that), so an assembly that must
/// not share the machine (<c>&lt;RunsAlone&gt;true&lt;/RunsAlone&gt;</c> in its project: the NAT lab, the 10,000-message
/// soaks) holds an exclusive lock on a file in <c>tests/obj</c> while it runs, and every other assembly a shared one.
/// The operating system drops the lock when a test process ends, however it ends.
/// </summary>
internal static class TestAssemblyTurns
{
    public const string RunsAloneKey = "SecretChat.Tests.RunsAlone";

    // Longer than any assembly takes; past it an assembly runs anyway and says so.
    private static readonly TimeSpan s_longestWait = TimeSpan.FromMinutes(20);
    private static readonly TimeSpan s_retry = TimeSpan.FromMilliseconds(200);

    public static bool RunsAlone(Assembly assembly) =>
        assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Any(a => a.Key == RunsAloneKey && bool.TryParse(a.Value, out var alone) && alone);

    /// <summary>Waits for this assembly's turn; dispose to end it.</summary>
    public static async Task<IDisposable?> TakeAsync(bool alone, IMessageSink diagnostics)
    {
        var folder = Path.Combine(TestPaths.RepositoryRoot, "tests", "obj");
        Directory.CreateDirectory(folder);
        var path = Path.Combine(folder, "test-assemblies.lock");
        var waited = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                // On Unix, .NET takes flock(LOCK_EX) for FileShare.None and flock(LOCK_SH) otherwise, never blocking.
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, alone ? FileShare.None : FileShare.ReadWrite);
            }
            catch (IOException) when (waited.Elapsed < s_longestWait)
            {
                // Another assembly's turn: there is no blocking flock in .NET, so look again shortly.
                await Task.Delay(s_retry);
            }
            catch (IOException e)
            {
                diagnostics.OnMessage(new DiagnosticMessage($"No turn after {s_longestWait.TotalMinutes} min ({e.Message}); running anyway."));
                return null;
            }
        }
    }
}

/// <summary>xunit's own framework, with each assembly's run inside its turn (see <see cref="TestAssemblyTurns"/>).</summary>
public sealed class TurnTakingTestFramework(IMessageSink messageSink) : XunitTestFramework(messageSink)
{
    protected override ITestFrameworkExecutor CreateExecutor(AssemblyName assemblyName) =>
        new Executor(assemblyName, SourceInformationProvider, DiagnosticMessageSink);

    private sealed class Executor(AssemblyName assemblyName, ISourceInformationProvider sourceInformationProvider, IMessageSink diagnosticMessageSink)
        : XunitTestFrameworkExecutor(assemblyName, sourceInformationProvider, diagnosticMessageSink)
    {
        protected override async void RunTestCases(IEnumerable<IXunitTestCase> testCases, IMessageSink executionMessageSink, ITestFrameworkExecutionOptions executionOptions)
        {
            var alone = TestAssembly.Assembly is IReflectionAssemblyInfo reflected && TestAssemblyTurns.RunsAlone(reflected.Assembly);
            using var turn = await TestAssemblyTurns.TakeAsync(alone, DiagnosticMessageSink);
            using var runner = new XunitTestAssemblyRunner(TestAssembly, testCases, DiagnosticMessageSink, executionMessageSink, executionOptions);
            await runner.RunAsync();
        }
    }
}
