namespace SecretChat.Fuzz.Tests;

/// <summary>
/// Every file of the fuzz corpus (fuzz/corpus/&lt;target&gt;/) and every finding kept as a regression input
/// (fuzz/findings/&lt;target&gt;/) replayed through its target, the same code AFL++ runs, without AFL.
/// </summary>
public class CorpusReplayTests
{
    private static readonly string Fuzz = Path.Combine(TestPaths.RepositoryRoot, "fuzz");

    public static TheoryData<string> Targets => new(FuzzTargets.All.Select(t => t.Name));

    [Theory]
    [MemberData(nameof(Targets))]
    public void Corpus_EveryFile_PassesItsTarget(string name) => ReplayFolder(name, Path.Combine(Fuzz, "corpus", name), mustExist: true);

    [Theory]
    [MemberData(nameof(Targets))]
    public void Findings_EveryRegressionInput_PassesItsTarget(string name) => ReplayFolder(name, Path.Combine(Fuzz, "findings", name), mustExist: false);

    [Fact]
    public void Folders_EachNamesATarget_NoneOrphaned()
    {
        foreach (var kind in (string[])["corpus", "findings"])
        {
            var folder = Path.Combine(Fuzz, kind);
            if (!Directory.Exists(folder))
                continue;
            foreach (var directory in Directory.EnumerateDirectories(folder))
                Assert.True(FuzzTargets.Find(Path.GetFileName(directory)) is not null, $"{directory} names no fuzz target.");
        }
    }

    [Fact]
    public void SeedCorpus_EverySeed_IsInTheCorpus()
    {
        // The kept corpus starts from the seeds: regenerating them (fuzz.sh seed) changes nothing unless an encoder did.
        foreach (var (target, seeds) in SeedCorpus.Build(TestPaths.RepositoryRoot))
        {
            foreach (var (file, bytes) in seeds)
            {
                var path = Path.Combine(Fuzz, "corpus", target, file);
                Assert.True(File.Exists(path), $"The seed {path} is missing: run tools/fuzz/fuzz.sh seed.");
                if (!target.StartsWith("datagram-", StringComparison.Ordinal) && target != "packet")
                    Assert.Equal(bytes, File.ReadAllBytes(path)); // datagram seeds carry fresh keys each run
            }
        }
    }

    [Fact]
    public void Targets_EachParserOnce_NamesUnique()
    {
        Assert.Equal(FuzzTargets.All.Count, FuzzTargets.All.Select(t => t.Name).Distinct().Count());
        Assert.True(FuzzTargets.All.Count >= 13);
    }

    private static void ReplayFolder(string name, string folder, bool mustExist)
    {
        if (!Directory.Exists(folder))
        {
            Assert.False(mustExist, $"The corpus of {name} is missing ({folder}).");
            return;
        }
        var target = FuzzTargets.Find(name)!;
        var files = Directory.EnumerateFiles(folder).Where(f => !Path.GetFileName(f).StartsWith('.')).Order(StringComparer.Ordinal).ToList();
        Assert.True(!mustExist || files.Count > 0, $"The corpus of {name} is empty.");
        var failures = new List<string>();
        foreach (var file in files)
        {
            try
            {
                target.Run(File.ReadAllBytes(file));
            }
            catch (Exception e)
            {
                failures.Add($"{Path.GetFileName(file)}: {e.GetType().Name}: {e.Message}");
            }
        }
        Assert.True(failures.Count == 0, $"{failures.Count} of {files.Count} inputs fail {name}:\n" + string.Join("\n", failures.Take(20)));
    }
}
