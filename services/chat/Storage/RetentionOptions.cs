using AgentSystem.ServiceDefaults;

namespace AgentSystem.Chat.Storage;

/// <summary>Section "Retention": how long idle conversations are kept (docs/api.md, "Chat's retention").</summary>
public sealed class RetentionOptions : RetentionSettings
{
    /// <summary>
    /// A conversation may hold 1,000 messages of up to 32 KiB, so a batch of 10 can be 10,000 rows and 320 MiB: one
    /// statement stays well within its command timeout.
    /// </summary>
    public RetentionOptions() => BatchSize = 10;

    /// <summary>
    /// A conversation with no new message for longer than this is deleted with its messages; zero keeps every
    /// conversation. Without it a client could fill PostgreSQL within its rate limit, and nothing ever shrank.
    /// </summary>
    public TimeSpan IdleConversations { get; set; } = TimeSpan.FromDays(30);

    public override TimeSpan KeepFor => IdleConversations;

    public override string PeriodSetting => nameof(IdleConversations);

    public override string Item => "conversation";

    public override int MaxBatchSize => 100;
}
