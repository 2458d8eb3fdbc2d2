using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace SecretChat.Benchmarks.Infrastructure;

/// <summary>
/// Payload megabytes (10^6 bytes) per second: the <c>MessageSize</c> parameter over the mean time of one
/// operation. Benchmarks whose operation is one message (OperationsPerInvoke = messages) get MB/s of payload.
/// </summary>
public sealed class ThroughputColumn : IColumn
{
    public const string SizeParameter = "MessageSize";

    public string Id => nameof(ThroughputColumn);
    public string ColumnName => "MB/s";
    public bool AlwaysShow => false;
    public ColumnCategory Category => ColumnCategory.Statistics;
    public int PriorityInCategory => 10;
    public bool IsNumeric => true;
    public UnitType UnitType => UnitType.Dimensionless;
    public string Legend => "Payload megabytes (10^6 bytes) per second: MessageSize / Mean";

    public bool IsAvailable(Summary summary) =>
        summary.BenchmarksCases.Any(b => b.Parameters.Items.Any(p => p.Name == SizeParameter));

    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) =>
        GetValue(summary, benchmarkCase, SummaryStyle.Default);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        var size = benchmarkCase.Parameters.Items.FirstOrDefault(p => p.Name == SizeParameter)?.Value;
        var mean = summary[benchmarkCase]?.ResultStatistics?.Mean;
        if (size is not int bytes || mean is not > 0)
            return "-";
        return (bytes / mean.Value * 1e9 / 1e6).ToString("N1", style.CultureInfo);
    }
}
