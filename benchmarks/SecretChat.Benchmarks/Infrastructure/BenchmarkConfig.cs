using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Reports;

namespace SecretChat.Benchmarks.Infrastructure;

/// <summary>
/// The one configuration every benchmark class uses: allocated bytes per operation, operations per
/// second, MB/s where a benchmark has a message size, ratios against the baseline of its group.
/// </summary>
/// <remarks>
/// No job here: the default job (or the one given with <c>--job</c>, e.g. <c>short</c> or <c>Dry</c>)
/// applies, so the same classes serve a full run, the README table and the CI smoke run.
/// </remarks>
public sealed class BenchmarkConfig : ManualConfig
{
    public BenchmarkConfig()
    {
        AddDiagnoser(MemoryDiagnoser.Default);
        AddColumn(StatisticColumn.OperationsPerSecond);
        AddColumn(new ThroughputColumn());
        SummaryStyle = SummaryStyle.Default.WithRatioStyle(RatioStyle.Trend);
        // Categories separate groups that each have their own baseline (seal/open, in-memory/TCP).
        AddLogicalGroupRules(BenchmarkLogicalGroupRule.ByCategory, BenchmarkLogicalGroupRule.ByParams);
        AddColumn(CategoriesColumn.Default);
        WithOrderer(new BenchmarkDotNet.Order.DefaultOrderer(BenchmarkDotNet.Order.SummaryOrderPolicy.Declared));
    }
}
