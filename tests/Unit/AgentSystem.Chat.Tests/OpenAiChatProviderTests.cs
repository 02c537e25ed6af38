using AgentSystem.Chat.Model;
using AgentSystem.Chat.Providers;
using AgentSystem.Chat.Tests.Fakes;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace AgentSystem.Chat.Tests;

public sealed class OpenAiChatProviderTests : IAsyncLifetime, IDisposable
{
    private FakeOpenAi _server = null!;
    private HttpClient _http = null!;
    private OpenAiChatProvider _provider = null!;

    public async Task InitializeAsync()
    {
        _server = await FakeOpenAi.StartAsync();
        // Far beyond any answer here, however busy the machine: a CI run's first request took over the 1 s this was.
        (_http, _provider) = Provider(TimeSpan.FromSeconds(20));
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    public void Dispose() => _http.Dispose();

    [Fact]
    public async Task Complete_posts_model_messages_and_key_and_reads_the_first_choice()
    {
        var reply = await _provider.CompleteAsync([new("system", "be brief"), new("user", "hi")], CancellationToken.None);

        Assert.Equal(new ChatMessage("assistant", FakeOpenAi.Reply), reply);
        Assert.Equal("Bearer sk-test", _server.LastAuthorization);
        var request = _server.LastRequest!.Value;
        Assert.Equal("test-model", request.GetProperty("model").GetString());
        Assert.False(request.GetProperty("stream").GetBoolean());
        Assert.Equal(
            [("system", "be brief"), ("user", "hi")],
            request.GetProperty("messages").EnumerateArray().Select(m => (m.GetProperty("role").GetString(), m.GetProperty("content").GetString())));
    }

    [Fact]
    public async Task Stream_yields_the_delta_contents_until_done()
    {
        var pieces = await _provider.StreamAsync([new("user", "hi")], CancellationToken.None).ToListAsync();

        Assert.Equal(["Hello", " from", " the model"], pieces);
        Assert.True(_server.LastRequest!.Value.GetProperty("stream").GetBoolean());
    }

    [Fact]
    public async Task A_long_reply_comes_whole_the_chat_api_holds_it_to_a_messages_size()
    {
        var reply = await _provider.CompleteAsync([new("user", "long")], CancellationToken.None);
        var pieces = await _provider.StreamAsync([new("user", "long")], CancellationToken.None).ToListAsync();

        Assert.Equal(FakeOpenAi.LongReply, reply.Content);
        Assert.Equal(FakeOpenAi.LongReply, string.Concat(pieces));
    }

    [Theory]
    [InlineData("fail", "500")]
    [InlineData("garbage", "could not be used")]
    public async Task Failures_name_the_provider(string trigger, string detail)
    {
        var error = await Assert.ThrowsAsync<ChatProviderException>(() => _provider.CompleteAsync([new("user", trigger)], CancellationToken.None));

        Assert.Equal("openai-compatible", error.Provider);
        Assert.Contains(detail, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_provider_silent_past_the_timeout_is_named_and_said_to_be_silent()
    {
        var (http, provider) = Provider(TimeSpan.FromSeconds(1));
        using (http)
        {
            var error = await Assert.ThrowsAsync<ChatProviderException>(() => provider.CompleteAsync([new("user", "stall")], CancellationToken.None));

            Assert.Equal("openai-compatible", error.Provider);
            Assert.Contains("did not answer within 1 s", error.Message, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("fail")]
    [InlineData("garbage")]
    [InlineData("cut")]
    public async Task Stream_failures_name_the_provider(string trigger)
    {
        var error = await Assert.ThrowsAsync<ChatProviderException>(async () => await _provider.StreamAsync([new("user", trigger)], CancellationToken.None).ToListAsync());

        Assert.Equal("openai-compatible", error.Provider);
    }

    [Fact]
    public async Task Unreachable_provider_is_a_provider_error_that_does_not_give_its_address_away()
    {
        using var http = new HttpClient { BaseAddress = new Uri("http://127.0.0.1:9/v1/") };
        var provider = new OpenAiChatProvider(http, Options.Create(new LlmOptions { BaseUrl = "http://127.0.0.1:9/v1", Model = "m" }), NullLogger<OpenAiChatProvider>.Instance);

        var error = await Assert.ThrowsAsync<ChatProviderException>(() => provider.CompleteAsync([new("user", "hi")], CancellationToken.None));

        // helper-64: the 502 said "Connection refused (127.0.0.1:18399)"; the log keeps the details.
        Assert.Equal("The provider could not be used: it could not be reached (ConnectionError).", error.Message);
        Assert.IsType<HttpRequestException>(error.InnerException);
    }

    /// <summary>helper-64: a 400 MB answer took chat to 1.9 GB, and a stream of one 400 MB line to 3.7 GB, in a 256 MiB pod.</summary>
    [Fact]
    public async Task An_answer_or_a_stream_line_past_its_bound_is_refused_without_being_read()
    {
        var whole = await Assert.ThrowsAsync<ChatProviderException>(() => _provider.CompleteAsync([new("user", "huge")], CancellationToken.None));
        var line = await Assert.ThrowsAsync<ChatProviderException>(async () => await _provider.StreamAsync([new("user", "huge")], CancellationToken.None).ToListAsync());

        Assert.Equal("The provider's answer is longer than 1024 KiB: not read.", whole.Message);
        Assert.Equal("The provider's stream sent a line longer than 256 KiB: not read.", line.Message);
    }

    /// <summary>helper-62: System.Text.Json refuses a lone surrogate escape, so such a chunk failed the whole reply.</summary>
    [Fact]
    public async Task An_emoji_cut_between_two_chunks_comes_whole_when_the_pieces_join()
    {
        var pieces = await _provider.StreamAsync([new("user", "split-emoji")], CancellationToken.None).ToListAsync();

        Assert.Equal("hi \U0001F600!", string.Concat(pieces));
    }

    [Fact]
    public void Escapes_are_read_as_JSON_defines_them_keeping_a_lone_surrogate()
    {
        var raw = System.Text.Encoding.UTF8.GetBytes("""a\ud83d\n\u00e9\"\\\/\tzé""");

        var text = SurrogateTolerantString.Unescape(raw);

        Assert.Equal(['a', '\ud83d', '\n', 'é', '"', '\\', '/', '\t', 'z', 'é'], text.ToCharArray());
    }

    [Fact]
    public async Task A_stream_whose_end_marker_has_no_newline_ends_cleanly()
    {
        Assert.Equal(["Hello"], await _provider.StreamAsync([new("user", "unterminated")], CancellationToken.None).ToListAsync());
    }

    [Fact]
    public async Task A_stream_that_never_ends_is_read_no_further_than_its_bound()
    {
        var error = await Assert.ThrowsAsync<ChatProviderException>(async () => await _provider.StreamAsync([new("user", "endless")], CancellationToken.None).ToListAsync());

        Assert.Equal("The provider's stream passed 16 MiB without ending: not read further.", error.Message);
    }

    private (HttpClient Http, OpenAiChatProvider Provider) Provider(TimeSpan timeout)
    {
        var http = new HttpClient { BaseAddress = new Uri(_server.BaseUrl + "/"), Timeout = timeout };
        http.DefaultRequestHeaders.Authorization = new("Bearer", "sk-test");
        var options = Options.Create(new LlmOptions { BaseUrl = _server.BaseUrl.ToString(), Model = "test-model", Timeout = timeout });
        return (http, new OpenAiChatProvider(http, options, NullLogger<OpenAiChatProvider>.Instance));
    }
}
