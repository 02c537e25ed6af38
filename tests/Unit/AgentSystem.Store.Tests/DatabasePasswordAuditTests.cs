namespace AgentSystem.Store.Tests;

public sealed class DatabasePasswordAuditTests
{
    [Theory]
    [InlineData("Host=postgres;Username=agentsystem;Password=dev-only-postgres-password;Database=agentsystem", true)]
    [InlineData("Host=postgres;Username=agentsystem;Password=a-password-of-its-own;Database=agentsystem", false)]
    [InlineData("Host=postgres;Username=agentsystem;Database=agentsystem", false)]
    [InlineData("Host=postgres;Nonsense Key=1", false)]
    [InlineData(null, false)]
    public void The_repositorys_development_password_is_told_apart(string? connectionString, bool development) =>
        Assert.Equal(development, DatabasePasswordAudit.IsDevelopmentPassword(connectionString));
}
