using SecretChat.Fuzz;
using SharpFuzz;

// The fuzzing entry point (docs/FUZZING.md):
//   SecretChat.Fuzz --target NAME          one target under AFL++ (SharpFuzz's fork server; the input on stdin)
//   SecretChat.Fuzz --replay NAME FILE...  runs files through a target, prints each failure, exits 1 if any failed
//   SecretChat.Fuzz --seed CORPUS_DIR      writes the seed corpus (what our encoders send) into CORPUS_DIR/<target>/
//   SecretChat.Fuzz --list                 the targets, one per line
return args switch
{
    ["--list"] => List(),
    ["--target", var name] => Fuzz(name),
    ["--replay", var name, .. var files] => Replay(name, files),
    ["--seed", var corpus] => Seed(corpus),
    _ => Usage(),
};

static int List()
{
    foreach (var target in FuzzTargets.All)
        Console.WriteLine($"{target.Name}\t{target.Parser}");
    return 0;
}

static int Fuzz(string name)
{
    if (FuzzTargets.Find(name) is not { } target)
        return Unknown(name);
    // Out of process: an input that kills the process (stack overflow, out of memory) is still reported as a crash.
    Fuzzer.OutOfProcess.Run(stream =>
    {
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        target.Run(buffer.ToArray());
    });
    return 0;
}

static int Replay(string name, string[] files)
{
    if (FuzzTargets.Find(name) is not { } target)
        return Unknown(name);
    var failed = 0;
    foreach (var file in files)
    {
        try
        {
            target.Run(File.ReadAllBytes(file));
        }
        catch (Exception e)
        {
            failed++;
            Console.WriteLine($"{file}: {e.GetType().Name}: {e.Message}");
            Console.WriteLine(e.StackTrace);
        }
    }
    Console.WriteLine($"{name}: {files.Length - failed} of {files.Length} inputs pass");
    return failed == 0 ? 0 : 1;
}

static int Seed(string corpus)
{
    var root = Directory.GetCurrentDirectory();
    while (!File.Exists(Path.Combine(root, "SecretChat.sln")))
        root = Path.GetDirectoryName(root) ?? throw new DirectoryNotFoundException("Run --seed inside the repository.");
    Console.WriteLine($"{SeedCorpus.Write(root, corpus)} seeds written to {corpus}");
    return 0;
}

static int Unknown(string name)
{
    Console.Error.WriteLine($"No fuzz target '{name}'. Targets: {string.Join(", ", FuzzTargets.All.Select(t => t.Name))}.");
    return 2;
}

static int Usage()
{
    Console.Error.WriteLine("usage: SecretChat.Fuzz --list | --target NAME | --replay NAME FILE... | --seed CORPUS_DIR");
    return 2;
}
