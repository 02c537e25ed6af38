namespace AgentSystem.Build.Engine;

/// <summary>A running service as the supervisor sees it: a <see cref="BackgroundProcess"/>, or a fake in tests.</summary>
public interface ISupervisedProcess : IDisposable
{
    /// <summary>Completes with the exit code when the process ends.</summary>
    Task<int> Exited { get; }

    /// <summary>Asks it to stop (SIGTERM): a service drains its work and exits.</summary>
    void Terminate();

    /// <summary>Ends it at once, with its children.</summary>
    void Kill();
}

/// <summary>How one service ended when the supervisor stopped: the line the Dev run's summary prints for it.</summary>
/// <param name="Killed">Still running when the drain time was up after SIGTERM, so killed.</param>
public sealed record ServiceStop(string Name, string Outcome, int Restarts, bool Killed = false)
{
    /// <summary>
    /// How a run stopped as asked ends: stopped, or failed when a service had to be killed (it ignored SIGTERM or could
    /// not drain in time: a bug to see, not a clean stop).
    /// </summary>
    public static TargetStoppedException Ending(IReadOnlyList<ServiceStop> stops, TimeSpan drain)
    {
        var killed = stops.Where(s => s.Killed).Select(s => s.Name).ToList();
        return killed.Count == 0
            ? new TargetStoppedException($"stopped: {stops.Count} services")
            : new TargetStoppedException($"killed: {string.Join(", ", killed)}",
                $"{string.Join(", ", killed)} did not stop within {drain.TotalSeconds:0} s of SIGTERM and had to be killed.");
    }
}

/// <summary>
/// Keeps services running, as the Dev target runs them: a service that exits is reported and started again after a
/// backoff (1 s, doubling to 30 s; back to 1 s once it ran for a minute), while the others keep running.
/// <see cref="StopAsync"/> sends every service SIGTERM, gives them time to drain, kills what is left and says how each
/// one ended.
/// </summary>
/// <param name="exitGrace">How long an exit waits to be reported (<see cref="ExitGrace"/> when null).</param>
public sealed class ServiceSupervisor(TimeProvider time, Action<string> info, Action<string> warning, TimeSpan? exitGrace = null) : IAsyncDisposable
{
    public static readonly TimeSpan FirstBackoff = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(30);
    /// <summary>A service that ran this long before it exited starts again after <see cref="FirstBackoff"/>.</summary>
    public static readonly TimeSpan StableAfter = TimeSpan.FromMinutes(1);
    /// <summary>
    /// How long an exit waits to be reported as one: a terminal's Ctrl+C reaches the services too, and one may end before
    /// the build's own handler has begun the stop (helper-133: "starting it again" printed as Dev stopped).
    /// </summary>
    public static readonly TimeSpan ExitGrace = TimeSpan.FromMilliseconds(300);

    private readonly Lock _gate = new();
    private readonly List<Supervised> _services = [];
    private readonly CancellationTokenSource _stopping = new();

    /// <summary>Starts a service and watches it from now on.</summary>
    public void Start(string name, Func<ISupervisedProcess> start)
    {
        ArgumentNullException.ThrowIfNull(start);
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_stopping.IsCancellationRequested, this);
            var service = new Supervised(name, start, start(), time.GetUtcNow());
            _services.Add(service);
            service.Watch = WatchAsync(service);
        }
    }

    /// <summary>The exit code of the service's first exit, if it exited since it was started (a service that fails at start).</summary>
    public int? FirstExit(string name)
    {
        lock (_gate)
        {
            return _services.Single(s => s.Name == name).FirstExit;
        }
    }

    /// <summary>
    /// SIGTERM to every running service at once, then up to <paramref name="drain"/> for them to exit; those still
    /// running are killed. No service is started again after this begins.
    /// </summary>
    public async Task<IReadOnlyList<ServiceStop>> StopAsync(TimeSpan drain)
    {
        List<(Supervised Service, ISupervisedProcess? Process)> running;
        lock (_gate)
        {
            _stopping.Cancel();
            running = [.. _services.Select(s => (s, s.Process.Exited.IsCompleted ? null : s.Process))];
        }

        var started = time.GetUtcNow();
        foreach (var (_, process) in running)
        {
            process?.Terminate();
        }

        using var timeout = new CancellationTokenSource();
        var deadline = Task.Delay(drain, time, timeout.Token);
        var stops = await Task.WhenAll(running.Select(async r =>
        {
            if (r.Process is null)
            {
                var code = r.Service.Process.Exited.Result;
                return new ServiceStop(r.Service.Name, r.Service.ExitReported ? $"was not running (exited with {Describe(code)}; restart pending)"
                    // The clean ends of a signal: most likely the terminal's Ctrl+C, which every process of the run gets.
                    : code is 0 or 130 or 143 ? $"stopped with {Describe(code)} as the stop began (a terminal's Ctrl+C reaches it too)"
                    : $"exited with {Describe(code)} just before the stop; not started again", r.Service.Restarts);
            }

            if (await Task.WhenAny(r.Process.Exited, deadline) == r.Process.Exited)
            {
                return new ServiceStop(r.Service.Name, $"stopped with {Describe(r.Process.Exited.Result)} after {Seconds(time.GetUtcNow() - started)}", r.Service.Restarts);
            }

            r.Process.Kill();
            return new ServiceStop(r.Service.Name, $"killed: still running {Seconds(drain)} after SIGTERM", r.Service.Restarts, Killed: true);
        }));
        await timeout.CancelAsync();
        await Task.WhenAll(running.Select(r => r.Service.Watch!));
        return stops;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_stopping.IsCancellationRequested)
        {
            await StopAsync(TimeSpan.Zero);
        }

        lock (_gate)
        {
            foreach (var service in _services)
            {
                service.Process.Dispose();
            }
        }
        _stopping.Dispose();
    }

    /// <summary>"exit code 0"; "exit code 137 (SIGKILL)" for a process a signal ended (128 + the signal's number).</summary>
    public static string Describe(int exitCode) => exitCode switch
    {
        130 => "exit code 130 (SIGINT)",
        134 => "exit code 134 (SIGABRT)",
        137 => "exit code 137 (SIGKILL)",
        139 => "exit code 139 (SIGSEGV)",
        143 => "exit code 143 (SIGTERM)",
        _ => $"exit code {exitCode}",
    };

    private async Task WatchAsync(Supervised service)
    {
        var backoff = TimeSpan.Zero;
        while (true)
        {
            var code = await service.Process.Exited.ConfigureAwait(false);
            var ran = time.GetUtcNow() - service.StartedAt;
            try
            {
                await Task.Delay(exitGrace ?? ExitGrace, time, _stopping.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            lock (_gate)
            {
                if (_stopping.IsCancellationRequested)
                {
                    return;
                }

                service.ExitReported = true;
                service.FirstExit ??= code;
            }

            backoff = ran >= StableAfter || backoff == TimeSpan.Zero ? FirstBackoff : TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, MaxBackoff.Ticks));
            warning($"{service.Name} exited with {Describe(code)} after {Seconds(ran)}; starting it again in {Seconds(backoff)}.");
            try
            {
                await Task.Delay(backoff, time, _stopping.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            lock (_gate)
            {
                if (_stopping.IsCancellationRequested)
                {
                    return;
                }

                service.Process.Dispose();
                service.Process = service.Start();
                service.StartedAt = time.GetUtcNow();
                service.Restarts++;
                service.ExitReported = false;
            }
            info($"{service.Name} started again (restart {service.Restarts}).");
        }
    }

    private static string Seconds(TimeSpan span) => $"{span.TotalSeconds.ToString("0.#", System.Globalization.CultureInfo.InvariantCulture)} s";

    private sealed class Supervised(string name, Func<ISupervisedProcess> start, ISupervisedProcess process, DateTimeOffset startedAt)
    {
        public string Name { get; } = name;
        public Func<ISupervisedProcess> Start { get; } = start;
        public ISupervisedProcess Process { get; set; } = process;
        public DateTimeOffset StartedAt { get; set; } = startedAt;
        public int Restarts { get; set; }
        public int? FirstExit { get; set; }
        /// <summary>The current process's exit was reported (a restart is pending), not taken as part of a stop.</summary>
        public bool ExitReported { get; set; }
        public Task? Watch { get; set; }
    }
}
