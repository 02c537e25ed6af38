using System.Text;

namespace AgentSystem.Contracts.Tests;

public sealed class ClientIdTests
{
    private const string Client = "key-0 203.0.113.1";

    [Fact]
    public void Without_a_key_an_id_is_the_start_of_the_clients_sha256()
    {
        // sha256("key-0 203.0.113.1"), as any tool computes it.
        Assert.Equal("b1fdfefd243aaa38", ClientId.Of(Client));
    }

    [Fact]
    public void With_a_key_an_id_is_the_start_of_the_clients_hmac_and_cannot_be_guessed_without_the_key()
    {
        var keyed = ClientId.Of(Client, ClientId.KeyFrom("internal-key-for-the-tests"));

        // hmac-sha256(hkdf-sha256(key, salt none, info "AgentSystem client id", 32 bytes), "key-0 203.0.113.1").
        Assert.Equal("1b23d60b79e08c30", keyed);
        Assert.True(ClientId.IsValid(keyed));
        Assert.NotEqual(ClientId.Of(Client), keyed);
        Assert.NotEqual(ClientId.Of(Client, Encoding.UTF8.GetBytes("internal-key-for-the-tests")), keyed);
        Assert.NotEqual(ClientId.Of(Client, ClientId.KeyFrom("another-key-of-some-length")), keyed);
    }
}
