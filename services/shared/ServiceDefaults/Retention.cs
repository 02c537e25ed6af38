using System.Diagnostics.CodeAnalysis;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AgentSystem.ServiceDefaults;

/// <summary>
/// Section "Retention" of a service that deletes what it need not keep any longer (docs/api.md, "Retention"): how long
/// (<see cref="KeepFor"/>, a setting of the service's own name) and how the rounds go.
/// </summary>
public abstract class RetentionSettings
{
    public const string SectionName = "Retention";

    /// <summary>How long an item is kept, the value of the service's setting <see cref="PeriodSetting"/>; zero keeps every one.</summary>
    public abstract TimeSpan KeepFor { get; }

    /// <summary>The name of the setting <see cref="KeepFor"/> reads (FinishedTasks), for messages.</summary>
    public abstract string PeriodSetting { get; }

    /// <summary>What one item is called in messages (task).</summary>
    public abstract string Item { get; }

    /// <summary>Time between two rounds of deletions (one also runs at start).</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Items deleted per statement, each its own transaction; the service sizes it to its largest item.</summary>
    public int BatchSize { get; set; } = 100;

    /// <summary>The most <see cref="BatchSize"/> may be: what one statement can delete within its command timeout.</summary>
    public virtual int MaxBatchSize => 10_000;

    /// <summary>Between two full batches, so that a backlog (the first round after an upgrade) leaves PostgreSQL room for the rest.</summary>
    public TimeSpan BatchPause { get; set; } = TimeSpan.FromMilliseconds(50);
}

/// <summary>
/// Deletes the items older than <see cref="RetentionSettings.KeepFor"/>: at start and every interval, a batch after
/// another (with a pause between two) until one comes back short. A failed round is logged and the next one tries
/// again. The cutoff is this process's clock, not PostgreSQL's: a skew of seconds does not matter against days. Several
/// replicas may run it at once: each deletion skips the rows another is deleting. What it deletes is counted (batch by
/// batch) and logged per round, as <paramref name="names"/> say.
/// </summary>
public abstract class Retention<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicParameterlessConstructor)] TSettings>(
    IOptions<TSettings> options, TimeProvider time, IMeterFactory meters, ILogger logger, RetentionNames names)
    : BackgroundService where TSettings : RetentionSettings
{
    private readonly Counter<long> _deleted = (meters ?? throw new ArgumentNullException(nameof(meters))).Create(names.Meter)
        .CreateCounter<long>(names.Counter, "{" + options.Value.Item + "}", names.CounterDescription);

    /// <summary>Deletes at most <paramref name="limit"/> items older than <paramref name="cutoff"/>; returns how many.</summary>
    protected abstract Task<int> DeleteBatchAsync(DateTimeOffset cutoff, int limit, CancellationToken cancellationToken);

    /// <summary>One round: returns how many items it deleted. Throws when a statement fails.</summary>
    public async Task<int> RunOnceAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var cutoff = time.GetUtcNow() - settings.KeepFor;
        var total = 0;
        while (true)
        {
            var deleted = await DeleteBatchAsync(cutoff, settings.BatchSize, cancellationToken);
            total += deleted;
            if (deleted > 0)
            {
                _deleted.Add(deleted);
            }

            if (deleted < settings.BatchSize)
            {
                break;
            }

            await Task.Delay(settings.BatchPause, time, cancellationToken);
        }

        if (total > 0)
        {
            RetentionLog.Deleted(logger, total, names.DeletedBefore, cutoff);
        }

        return total;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        if (settings.KeepFor == TimeSpan.Zero)
        {
            RetentionLog.KeepingAll(logger, settings.Item, settings.PeriodSetting);
            return;
        }

        await Rounds.RunAsync(settings.Interval, time, RunOnceAsync, error => RetentionLog.RoundFailed(logger, settings.Interval, error), stoppingToken);
    }
}

/// <summary>
/// How a retention's deletions are counted and logged: the counter <paramref name="Counter"/> of the meter
/// <paramref name="Meter"/>; <paramref name="DeletedBefore"/> completes the log line "deleted 5 tasks finished before
/// (the cutoff)".
/// </summary>
public sealed record RetentionNames(string Meter, string Counter, string CounterDescription, string DeletedBefore);

public static class RetentionExtensions
{
    /// <summary>
    /// The settings (bound by the caller from section "Retention": a generic binding call cannot be source-generated for
    /// the trimmed images) checked at start, and <typeparamref name="TRetention"/> as a hosted service (and a singleton,
    /// for tests and diagnostics).
    /// </summary>
    public static OptionsBuilder<TSettings> AddRetention<
        [DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicParameterlessConstructor)] TSettings,
        [DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] TRetention>(this OptionsBuilder<TSettings> settings)
        where TSettings : RetentionSettings
        where TRetention : Retention<TSettings>
    {
        ArgumentNullException.ThrowIfNull(settings);
        settings.Services.AddSingleton<IValidateOptions<TSettings>, RetentionValidator<TSettings>>();
        settings.Services.AddSingleton<TRetention>();
        settings.Services.AddHostedService(static services => services.GetRequiredService<TRetention>());
        return settings.ValidateOnStart();
    }
}

/// <summary>The settings' ranges; a failure names the setting.</summary>
public sealed class RetentionValidator<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicParameterlessConstructor)] TSettings> : IValidateOptions<TSettings> where TSettings : RetentionSettings
{
    public ValidateOptionsResult Validate(string? name, TSettings options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var section = RetentionSettings.SectionName;
        List<string> failures = [];
        if (options.KeepFor != TimeSpan.Zero && !Within(options.KeepFor, TimeSpan.FromMinutes(1), TimeSpan.FromDays(36_500)))
        {
            failures.Add($"{section}:{options.PeriodSetting} must be 00:00:00 (keep every {options.Item}) or from 00:01:00 to 36500.00:00:00.");
        }

        if (!Within(options.Interval, TimeSpan.FromSeconds(1), TimeSpan.FromDays(1)))
        {
            failures.Add($"{section}:Interval must be from 00:00:01 to 1.00:00:00.");
        }

        if (options.BatchSize < 1 || options.BatchSize > options.MaxBatchSize)
        {
            failures.Add($"{section}:BatchSize must be from 1 to {options.MaxBatchSize}.");
        }

        if (!Within(options.BatchPause, TimeSpan.Zero, TimeSpan.FromMinutes(1)))
        {
            failures.Add($"{section}:BatchPause must be from 00:00:00 to 00:01:00.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static bool Within(TimeSpan value, TimeSpan min, TimeSpan max) => value >= min && value <= max;
}

internal static partial class RetentionLog
{
    [LoggerMessage(Level = LogLevel.Information, Message = "Retention: deleted {Count} {DeletedBefore} before {Cutoff:u}")]
    public static partial void Deleted(ILogger logger, int count, string deletedBefore, DateTimeOffset cutoff);

    [LoggerMessage(Level = LogLevel.Information, Message = "Retention: keeping every {Item} (Retention:{Setting} is 0)")]
    public static partial void KeepingAll(ILogger logger, string item, string setting);

    [LoggerMessage(Level = LogLevel.Error, Message = "Retention round failed; the next one, in {Interval}, tries again")]
    public static partial void RoundFailed(ILogger logger, TimeSpan interval, Exception error);
}
