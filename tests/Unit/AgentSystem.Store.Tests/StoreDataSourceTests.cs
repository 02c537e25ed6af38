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
    [InlineData("Host=postgres;Password=ab;Usernme=agentsystem")]
    [InlineData("Server=postgres;User ID=a;Maximum Pool Size=lots;Max Auto Prepare=0;GSS Encryption Mode=Disable;Password=x")]   // known keywords, a bad value
    public void A_connection_string_Npgsql_cannot_read_after_its_password_is_refused_without_showing_it(string connectionString)
    {
        var error = Assert.Throws<InvalidOperationException>(() => StoreDataSource.Create(connectionString));

        Assert.Equal(
            "ConnectionStrings:Postgres cannot be read: it names a keyword Npgsql does not know, or a value holds ';', a leading '=' or a quote unquoted (quote such a password: Password='a;b', a ' inside doubled). Its text is not shown: it holds a password.",
            error.Message);
        Assert.Null(error.InnerException);
    }

    [Fact]
    public void An_unknown_keyword_before_the_password_is_named()
    {
        var error = Assert.Throws<InvalidOperationException>(() => StoreDataSource.Create("Host=postgres;Usernme=agentsystem;Password=ab;cd=1"));

        Assert.Equal("ConnectionStrings:Postgres cannot be read: Npgsql knows no keyword 'Usernme'.", error.Message);
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
