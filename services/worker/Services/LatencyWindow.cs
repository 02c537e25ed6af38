namespace AgentSystem.Worker.Services;

/// <summary>Count, median, 95th percentile and maximum of the samples of the last <see cref="LatencyWindow.Window"/>, in milliseconds.</summary>
public sealed record LatencySnapshot(int Count, double P50, double P95, double Max)
{
    public static LatencySnapshot Empty { get; } = new(0, 0, 0, 0);
}

/// <summary>
/// A sliding window of latency samples (the last <see cref="Window"/>, at most <see cref="Capacity"/> samples):
/// cheap to record, sorted only when a snapshot is asked for.
/// </summary>
public sealed class LatencyWindow(TimeProvider time)
{
    public const int Capacity = 8192;

    public static readonly TimeSpan Window = TimeSpan.FromMinutes(1);

    private readonly Lock _lock = new();
    private readonly long[] _at = new long[Capacity];
    private readonly double[] _milliseconds = new double[Capacity];
    private int _next;
    private int _count;

    public void Record(TimeSpan latency)
    {
        var milliseconds = Math.Max(0, latency.TotalMilliseconds);
        var now = time.GetTimestamp();
        lock (_lock)
        {
            _at[_next] = now;
            _milliseconds[_next] = milliseconds;
            _next = (_next + 1) % Capacity;
            _count = Math.Min(_count + 1, Capacity);
        }
    }

    public LatencySnapshot Snapshot()
    {
        var now = time.GetTimestamp();
        var recent = new List<double>();
        lock (_lock)
        {
            for (var i = 0; i < _count; i++)
            {
                var index = (_next - 1 - i + Capacity) % Capacity;
                if (time.GetElapsedTime(_at[index], now) > Window)
                {
                    break;
                }

                recent.Add(_milliseconds[index]);
            }
        }

        if (recent.Count == 0)
        {
            return LatencySnapshot.Empty;
        }

        recent.Sort();
        return new LatencySnapshot(recent.Count, Round(Percentile(recent, 0.50)), Round(Percentile(recent, 0.95)), Round(recent[^1]));
    }

    // Nearest rank: the smallest sample with at least p of the samples at or below it.
    private static double Percentile(List<double> sorted, double p) => sorted[Math.Max(0, (int)Math.Ceiling(p * sorted.Count) - 1)];

    private static double Round(double milliseconds) => Math.Round(milliseconds, 3);
}
