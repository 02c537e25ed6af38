using System.Security.Cryptography;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace AgentSystem.Build.Docker;

/// <summary>
/// The passwords of Dev's PostgreSQL and Redis containers. Each container gets a random one when it is made, in its
/// environment (<see cref="PostgresVariable"/>, <see cref="RedisVariable"/>), and every run reads it back from there:
/// the containers are shared by every clone on the machine, and one made before they had passwords ("dev", none) goes
/// on working. Handed to docker through the CLI's environment, never its arguments, which other users can read in
/// <c>ps</c>; Redis takes it as an argument inside its container, readable there for the moment until Redis sets its
/// process title over its arguments at start.
/// </summary>
public static partial class DevCredentials
{
    public const string PostgresVariable = "POSTGRES_PASSWORD";
    public const string RedisVariable = "REDIS_PASSWORD";

    /// <summary>What Dev's PostgreSQL containers were made with before each got its own.</summary>
    public const string OldPostgresPassword = "dev";

    /// <summary>
    /// What Redis runs: the password from the environment, when there is one, through the image's entrypoint, which the
    /// official image needs to drop from root to its redis user (it does so only for a command starting with redis-server).
    /// </summary>
    public const string RedisCommand = $"exec docker-entrypoint.sh redis-server ${{{RedisVariable}:+--requirepass \"${RedisVariable}\"}} \"$@\"";

    /// <summary>redis-cli with the container's password, when it has one (Redis refuses AUTH where none is set).</summary>
    public const string RedisCliCommand = $"[ -n \"${RedisVariable}\" ] && export REDISCLI_AUTH=\"${RedisVariable}\"; exec redis-cli \"$@\"";

    public static string NewPassword() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));

    /// <summary>The value of <paramref name="name"/> in <c>docker inspect --format '{{json .Config.Env}}'</c>'s output; null if unset.</summary>
    public static string? FromEnvironment(string inspectedEnvironment, string name)
    {
        var entries = JsonSerializer.Deserialize<string[]?>(inspectedEnvironment.Trim()) ?? [];
        return entries.Where(entry => entry.StartsWith(name + "=", StringComparison.Ordinal)).Select(entry => entry[(name.Length + 1)..]).LastOrDefault();
    }

    /// <summary>A connection string or Redis configuration with its password shown as "…" (Npgsql's Password=, StackExchange.Redis's password=).</summary>
    public static string Masked(string connection) => PasswordSetting().Replace(connection, match => match.Groups["name"].Value + "=…");

    [GeneratedRegex("(?<name>(?i:password|pwd))=[^;,]*")]
    private static partial Regex PasswordSetting();
}
