using AgentSystem.Build.Engine;
using Microsoft.Extensions.Time.Testing;

namespace AgentSystem.Build.Tests;

/// <summary>The Dev run's supervisor with fake processes and a fake clock: restarts with backoff, a drained stop.</summary>
public sealed class ServiceSupervisorTests
{
    private readonly FakeTimeProvider _time = new();
    private readonly System.Collections.Concurrent.ConcurrentQueue<string> _log = [];
    private readonly Dictionary<string, List<FakeProcess>> _started = [];

    [Fact]
    public async Task A_service_that_exits_is_reported_and_started_again_after_the_backoff_while_the_others_keep_running()
    {
        var supervisor = Supervisor();
        Start(supervisor, "orchestrator");
        Start(supervisor, "worker");

        _started["worker"][0].Exit(137);
        await Until(() => _log.Any(l => l.Contains("worker exited with exit code 137 (SIGKILL)", StringComparison.Ordinal)));
        Assert.Single(_started["worker"]);

        _time.Advance(ServiceSupervisor.FirstBackoff);
        await Until(() => _started["worker"].Count == 2);
        Assert.Contains("worker started again (restart 1).", _log);
        Assert.Single(_started["orchestrator"]);
        Assert.False(_started["orchestrator"][0].Terminated || _started["orchestrator"][0].Killed);

        var stops = await StopAsync(supervisor);
        Assert.Equal(1, stops.Single(s => s.Name == "worker").Restarts);
        Assert.Equal(0, stops.Single(s => s.Name == "orchestrator").Restarts);
    }

    [Fact]
    public async Task The_backoff_doubles_while_a_service_keeps_failing_up_to_the_maximum_and_resets_once_it_ran_for_a_minute()
    {
        var supervisor = Supervisor();
        Start(supervisor, "chat");
        var waits = new List<TimeSpan>();
        for (var restart = 1; restart <= 7; restart++)
        {
            _started["chat"][^1].Exit(1);
            waits.Add(await WaitForRestartAsync("chat", restart));
        }
        Assert.Equal([1, 2, 4, 8, 16, 30, 30], waits.Select(w => (int)w.TotalSeconds));

        _time.Advance(ServiceSupervisor.StableAfter);
        _started["chat"][^1].Exit(1);
        Assert.Equal(ServiceSupervisor.FirstBackoff, await WaitForRestartAsync("chat", 8));
        await StopAsync(supervisor);
    }

    [Fact]
    public async Task Stop_sends_every_service_SIGTERM_kills_one_that_does_not_drain_in_time_and_reports_each_one()
    {
        var supervisor = Supervisor();
        Start(supervisor, "gateway");
        Start(supervisor, "worker", stopsOnTerminate: false);
        Start(supervisor, "chat");
        _started["chat"][0].Exit(1);
        await Until(() => _log.Any(l => l.StartsWith("chat exited", StringComparison.Ordinal)));

        var stopping = supervisor.StopAsync(TimeSpan.FromSeconds(30));
        Assert.True(_started["gateway"][0].Terminated);
        Assert.True(_started["worker"][0].Terminated);
        Assert.False(_started["chat"][0].Terminated);
        Assert.False(stopping.IsCompleted);

        _time.Advance(TimeSpan.FromSeconds(30));
        var stops = await stopping;
        Assert.Equal(["gateway", "worker", "chat"], stops.Select(s => s.Name));
        Assert.Equal("stopped with exit code 0 after 0 s", stops[0].Outcome);
        Assert.Equal("killed: still running 30 s after SIGTERM", stops[1].Outcome);
        Assert.True(_started["worker"][0].Killed);
        Assert.Equal("was not running (exited with exit code 1; restart pending)", stops[2].Outcome);
        Assert.Equal([false, true, false], stops.Select(s => s.Killed));
        var ending = ServiceStop.Ending(stops, TimeSpan.FromSeconds(30));
        Assert.Equal("killed: worker", ending.Message);
        Assert.Equal("worker did not stop within 30 s of SIGTERM and had to be killed.", ending.Failure);

        // The pending restart is dropped: nothing starts after the stop.
        _time.Advance(ServiceSupervisor.MaxBackoff);
        Assert.Single(_started["chat"]);
        await supervisor.DisposeAsync();
    }

    [Fact]
    public async Task A_service_that_exits_while_the_run_stops_is_not_started_again()
    {
        var supervisor = Supervisor();
        Start(supervisor, "frontend");
        var stops = await StopAsync(supervisor);
        Assert.Equal("stopped with exit code 0 after 0 s", Assert.Single(stops).Outcome);
        Assert.Null(ServiceStop.Ending(stops, TimeSpan.FromSeconds(30)).Failure);
        _time.Advance(ServiceSupervisor.MaxBackoff);
        Assert.Single(_started["frontend"]);
        Assert.DoesNotContain(_log, l => l.Contains("exited", StringComparison.Ordinal));
    }

    /// <summary>
    /// helper-133: Ctrl+C in a terminal reaches the services too, and one ended before the build began the stop: it was
    /// reported as exited, "starting it again", and then as "not running (restart pending)".
    /// </summary>
    [Fact]
    public async Task A_service_that_exits_just_before_the_stop_begins_is_reported_as_stopped_not_as_a_restart()
    {
        var supervisor = Supervisor(ServiceSupervisor.ExitGrace);
        Start(supervisor, "frontend");
        Start(supervisor, "gateway");

        _started["frontend"][0].Exit(0);
        await Task.Delay(50);
        var stops = await StopAsync(supervisor);

        Assert.Equal("stopped with exit code 0 as the stop began (a terminal's Ctrl+C reaches it too)", stops[0].Outcome);
        Assert.Equal("stopped with exit code 0 after 0 s", stops[1].Outcome);
        Assert.DoesNotContain(_log, l => l.Contains("exited", StringComparison.Ordinal));
        _time.Advance(ServiceSupervisor.MaxBackoff);
        Assert.Single(_started["frontend"]);
    }

    /// <summary>An exit the grace has passed for is one: reported, and the service started again; one within it is not.</summary>
    [Fact]
    public async Task An_exit_is_reported_once_the_grace_has_passed_and_a_crash_within_it_is_not_taken_for_a_stop()
    {
        var supervisor = Supervisor(ServiceSupervisor.ExitGrace);
        Start(supervisor, "chat");
        Start(supervisor, "worker");

        _started["chat"][0].Exit(1);
        // In steps far below the backoff, so the first restart is not reached: the grace's timer may start after a step.
        for (var step = 0; step < 100 && !_log.Any(l => l.StartsWith("chat exited", StringComparison.Ordinal)); step++)
        {
            _time.Advance(TimeSpan.FromMilliseconds(50));
            await Task.Delay(5);
        }
        _started["worker"][0].Exit(1);
        await Task.Delay(50);
        var stops = await StopAsync(supervisor);

        Assert.Contains(_log, l => l.StartsWith("chat exited with exit code 1 after ", StringComparison.Ordinal) && l.EndsWith("starting it again in 1 s.", StringComparison.Ordinal));
        Assert.Equal("was not running (exited with exit code 1; restart pending)", stops[0].Outcome);
        Assert.Equal("exited with exit code 1 just before the stop; not started again", stops[1].Outcome);
    }

    /// <summary>A second Ctrl+C: every service still running is killed at once, one that ignores SIGTERM too.</summary>
    [Fact]
    public async Task Kill_all_ends_every_background_process_still_running_and_names_them()
    {
        var folder = Directory.CreateTempSubdirectory("kill-all-").FullName;
        using var first = BackgroundProcess.Start("first-service", "sh", ["-c", "trap '' TERM INT; while :; do sleep 0.1; done"], folder, new Dictionary<string, string>());
        using var second = BackgroundProcess.Start("second-service", "sh", ["-c", "while :; do sleep 0.1; done"], folder, new Dictionary<string, string>());
        try
        {
            var killed = BackgroundProcess.KillAll();

            Assert.Contains("first-service", killed);
            Assert.Contains("second-service", killed);
            await first.Exited.WaitAsync(TimeSpan.FromSeconds(10));
            await second.Exited.WaitAsync(TimeSpan.FromSeconds(10));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>A real child: SIGKILLed, it is started again after the first backoff; stopped, it gets SIGTERM and drains.</summary>
    [Fact]
    public async Task A_real_process_killed_is_started_again_and_on_stop_gets_SIGTERM_and_exits_cleanly()
    {
        var folder = Directory.CreateTempSubdirectory("supervisor-").FullName;
        try
        {
            var starts = Path.Combine(folder, "starts");
            var drained = Path.Combine(folder, "drained");
            var script = $"trap 'echo drained > {drained}; exit 0' TERM; echo started >> {starts}; while :; do sleep 0.1; done";
            var supervisor = new ServiceSupervisor(TimeProvider.System, _log.Enqueue, _log.Enqueue);
            BackgroundProcess? current = null;
            supervisor.Start("service", () => current = BackgroundProcess.Start("service", "sh", ["-c", script], folder, new Dictionary<string, string>()));
            await UntilReal(() => Lines(starts) == 1);

            current!.Kill();
            await UntilReal(() => Lines(starts) == 2);
            Assert.Contains(_log, l => l.StartsWith("service exited with exit code 137 (SIGKILL)", StringComparison.Ordinal));

            var stop = Assert.Single(await supervisor.StopAsync(TimeSpan.FromSeconds(10)));
            Assert.StartsWith("stopped with exit code 0 after", stop.Outcome, StringComparison.Ordinal);
            Assert.Equal(1, stop.Restarts);
            Assert.Equal("drained", File.ReadAllText(drained).Trim());
            await supervisor.DisposeAsync();
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }

        static int Lines(string path) => File.Exists(path) ? File.ReadAllLines(path).Length : 0;
    }

    [Fact]
    public void Exit_codes_of_signals_are_named()
    {
        Assert.Equal("exit code 137 (SIGKILL)", ServiceSupervisor.Describe(137));
        Assert.Equal("exit code 143 (SIGTERM)", ServiceSupervisor.Describe(143));
        Assert.Equal("exit code 3", ServiceSupervisor.Describe(3));
    }

    /// <summary>Exits reported at once unless <paramref name="exitGrace"/> is given: the fake clock moves only when told.</summary>
    private ServiceSupervisor Supervisor(TimeSpan? exitGrace = null) => new(_time, _log.Enqueue, _log.Enqueue, exitGrace ?? TimeSpan.Zero);

    private void Start(ServiceSupervisor supervisor, string name, bool stopsOnTerminate = true)
    {
        _started[name] = [];
        supervisor.Start(name, () =>
        {
            var process = new FakeProcess(stopsOnTerminate);
            _started[name].Add(process);
            return process;
        });
    }

    private static async Task<IReadOnlyList<ServiceStop>> StopAsync(ServiceSupervisor supervisor)
    {
        var stops = await supervisor.StopAsync(TimeSpan.FromSeconds(30));
        await supervisor.DisposeAsync();
        return stops;
    }

    /// <summary>
    /// The backoff the supervisor reported for the service's restart number <paramref name="restart"/>, checked: the
    /// service is not started again a moment before it has passed, and is once it has.
    /// </summary>
    private async Task<TimeSpan> WaitForRestartAsync(string name, int restart)
    {
        var prefix = name + " exited";
        await Until(() => _log.Count(l => l.StartsWith(prefix, StringComparison.Ordinal)) == restart);
        var reported = _log.Last(l => l.StartsWith(prefix, StringComparison.Ordinal));
        var seconds = reported[(reported.IndexOf("starting it again in ", StringComparison.Ordinal) + "starting it again in ".Length)..].Split(' ')[0];
        var backoff = TimeSpan.FromSeconds(int.Parse(seconds, System.Globalization.CultureInfo.InvariantCulture));

        _time.Advance(backoff - TimeSpan.FromMilliseconds(1));
        await Task.Delay(20);
        Assert.Equal(restart, _started[name].Count);
        _time.Advance(TimeSpan.FromMilliseconds(1));
        await Until(() => _started[name].Count == restart + 1);
        return backoff;
    }

    /// <summary>The supervisor's continuations run on the thread pool: give them up to some seconds to catch up.</summary>
    private static async Task Until(Func<bool> condition)
    {
        for (var i = 0; i < 2000; i++)
        {
            await Task.Delay(5);
            if (condition())
            {
                return;
            }
        }
        Assert.Fail("the supervisor did not get there");
    }

    private static async Task UntilReal(Func<bool> condition)
    {
        for (var waited = 0; waited < 10_000; waited += 50)
        {
            if (condition())
            {
                return;
            }

            await Task.Delay(50);
        }
        Assert.Fail("the process did not get there within 10 s");
    }

    private sealed class FakeProcess(bool stopsOnTerminate) : ISupervisedProcess
    {
        private readonly TaskCompletionSource<int> _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public bool Terminated { get; private set; }
        public bool Killed { get; private set; }
        public Task<int> Exited => _exited.Task;

        public void Exit(int code) => _exited.TrySetResult(code);

        public void Terminate()
        {
            Terminated = true;
            if (stopsOnTerminate)
            {
                Exit(0);
            }
        }

        public void Kill()
        {
            Killed = true;
            Exit(137);
        }

        public void Dispose()
        {
        }
    }
}
