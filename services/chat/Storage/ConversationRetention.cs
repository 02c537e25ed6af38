using System.Diagnostics.Metrics;
using AgentSystem.ServiceDefaults;
using Microsoft.Extensions.Options;

namespace AgentSystem.Chat.Storage;

/// <summary>
/// Deletes the conversations idle longer than <c>Retention:IdleConversations</c>, with their messages (docs/api.md,
/// "Chat's retention"); one being continued at that moment is left for a later round.
/// </summary>
public sealed class ConversationRetention(
    IConversationStore conversations, IOptions<RetentionOptions> options, TimeProvider time, IMeterFactory meters, ILogger<ConversationRetention> logger)
    : Retention<RetentionOptions>(
        options, time, meters, logger, new(MeterName, DeletedInstrument, "Idle conversations deleted by retention, with their messages", "conversations last active"))
{
    public const string MeterName = "AgentSystem.Chat.Retention";

    public const string DeletedInstrument = "agentsystem.chat.conversations.deleted";

    protected override Task<int> DeleteBatchAsync(DateTimeOffset cutoff, int limit, CancellationToken cancellationToken) =>
        conversations.DeleteIdleBeforeAsync(cutoff, limit, cancellationToken);
}
