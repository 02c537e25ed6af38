using Npgsql;

namespace AgentSystem.Store.Tests;

public sealed class StoreDataSourceTests
{
    private const string Server = "Host=127.0.0.1;Username=agentsystem;Password=secret;Database=agentsystem";

    [Fact]
    public async Task Statements_are_prepared_automatically_unless_the_connection_string_says_otherwise()
    {
        Assert.Equal(StoreDataSource.AutoPreparedStatements, await MaxAutoPrepareAsync(Server));
        Assert.Equal(10, await MaxAutoPrepareAsync(Server + ";Max Auto Prepare=10"));
        Assert.Equal(0, await MaxAutoPrepareAsync(Server + ";maxautoprepare=0"));
    }

    [Fact]
    public async Task Pooled_connections_are_not_reset_unless_the_connection_string_says_otherwise()
    {
        Assert.Equal(!StoreDataSource.ResetOnClose, (await SettingsAsync(Server)).NoResetOnClose);
        Assert.False((await SettingsAsync(Server + ";No Reset On Close=false")).NoResetOnClose);
    }

    [Theory]
    [InlineData("Host=postgres;Username=agentsystem;Password=ab;cd=1")]   // helper-81: "Couldn't set cd", the password's rest
    [InlineData("Host=postgres;Usernme=agentsystem")]
    public void A_connection_string_Npgsql_cannot_read_is_refused_without_showing_its_text(string connectionString)
    {
        var error = Assert.Throws<InvalidOperationException>(() => StoreDataSource.Create(connectionString));

        Assert.StartsWith("ConnectionStrings:Postgres cannot be read: it names a keyword Npgsql does not know, or a value holds", error.Message, StringComparison.Ordinal);
        Assert.Contains("quote such a password: Password='a;b'", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("cd", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task GSS_encryption_is_off_unless_the_connection_string_says_otherwise()
    {
        Assert.Equal(GssEncryptionMode.Disable, (await SettingsAsync(Server)).GssEncryptionMode);
        Assert.Equal(GssEncryptionMode.Prefer, (await SettingsAsync(Server + ";GSS Encryption Mode=Prefer")).GssEncryptionMode);
    }

    private static async Task<int> MaxAutoPrepareAsync(string connectionString) => (await SettingsAsync(connectionString)).MaxAutoPrepare;

    private static async Task<NpgsqlConnectionStringBuilder> SettingsAsync(string connectionString)
    {
        var dataSource = StoreDataSource.Create(connectionString);
        await using (dataSource)
        {
            return new NpgsqlConnectionStringBuilder(dataSource.ConnectionString);
        }
    }
}
