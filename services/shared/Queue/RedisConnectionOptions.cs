using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace AgentSystem.Queue;

/// <summary>The Redis connection string, from <c>Redis:Configuration</c> (environment: Redis__Configuration).</summary>
public sealed class RedisConnectionOptions
{
    public string? Configuration { get; set; }
}

internal sealed class RedisConnectionOptionsValidator : IValidateOptions<RedisConnectionOptions>
{
    public ValidateOptionsResult Validate(string? name, RedisConnectionOptions options) =>
        string.IsNullOrWhiteSpace(options.Configuration)
            ? ValidateOptionsResult.Fail(RedisConnection.MissingMessage)
            : ValidateOptionsResult.Success;
}

/// <summary>Source-generated validation of the data annotations on <see cref="QueueOptions"/> (trim-safe).</summary>
[OptionsValidator]
internal sealed partial class QueueOptionsValidator : IValidateOptions<QueueOptions>;
