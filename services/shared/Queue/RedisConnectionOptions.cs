using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace AgentSystem.Queue;

/// <summary>How to reach Redis: <c>Redis:Configuration</c> and <c>Redis:Password</c> (environment: Redis__Configuration, Redis__Password).</summary>
public sealed class RedisConnectionOptions
{
    /// <summary>The StackExchange.Redis connection string.</summary>
    public string? Configuration { get; set; }

    /// <summary>
    /// Set: the password Redis requires, used instead of one in <see cref="Configuration"/>. Apart so that a Secret can
    /// supply it as it is: a password with a comma or an equals sign cannot be written into the connection string.
    /// </summary>
    public string? Password { get; set; }

    /// <summary>The connection string parsed, with <see cref="Password"/> in place of its own when set.</summary>
    public ConfigurationOptions ToConfigurationOptions()
    {
        var options = ConfigurationOptions.Parse(Configuration ?? "");
        if (!string.IsNullOrEmpty(Password))
        {
            options.Password = Password;
        }

        return options;
    }

    /// <summary>The password the connection will present: <see cref="Password"/>, else the connection string's.</summary>
    public string? EffectivePassword()
    {
        try
        {
            return ToConfigurationOptions().Password;
        }
        catch (ArgumentException)
        {
            return string.IsNullOrEmpty(Password) ? null : Password;   // the connection's own parse names what is wrong
        }
    }
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
