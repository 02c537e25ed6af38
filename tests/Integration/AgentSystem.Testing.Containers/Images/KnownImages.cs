namespace AgentSystem.Testing.Containers.Images;

/// <summary>The images the tests use, with the official defaults and the local equivalents the build makes.</summary>
public static class KnownImages
{
    public const string PostgresDefault = "postgres:16-alpine";
    public const string PostgresLocal = "agentsystem-base/postgres:15";
    public const string RedisDefault = "redis:7-alpine";
    public const string RedisLocal = "agentsystem-base/redis:7";
    public const string DebianDefault = "debian:bookworm-slim";
    public const string DebianLocal = "agentsystem-base/debian:bookworm";

    public static LogicalImage Postgres { get; } = new("postgres", PostgresDefault, PostgresLocal);

    public static LogicalImage Redis { get; } = new("redis", RedisDefault, RedisLocal);

    /// <summary>A plain shell image (bash, coreutils) for tests of the library itself.</summary>
    public static LogicalImage Debian { get; } = new("debian", DebianDefault, DebianLocal);
}
