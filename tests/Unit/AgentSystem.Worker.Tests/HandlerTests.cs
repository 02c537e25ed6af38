using System.Net;
using System.Text;
using System.Text.Json;
using AgentSystem.Contracts;
using AgentSystem.Worker.Handlers;
using AgentSystem.Worker.Tests.Fakes;

namespace AgentSystem.Worker.Tests;

public sealed class HandlerTests
{
    internal static JobMessage Job(string type, string input) => new(Guid.NewGuid(), Guid.NewGuid(), type, input, 1, null);

    [Theory]
    [InlineData("the quick  brown\tfox\n", "4")]
    [InlineData("one", "1")]
    [InlineData("   ", "0")]
    [InlineData("", "0")]
    public async Task WordCount_counts_whitespace_separated_words(string input, string expected) =>
        Assert.Equal(expected, await new WordCountHandler().HandleAsync(Job(JobTypes.WordCount, input), CancellationToken.None));

    [Theory]
    [InlineData("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")]
    [InlineData("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")]
    public async Task Hash_is_lowercase_sha256_hex_of_utf8(string input, string expected) =>
        Assert.Equal(expected, await new HashHandler().HandleAsync(Job(JobTypes.Hash, input), CancellationToken.None));

    [Theory]
    [InlineData("the reason", "the reason")]
    [InlineData(" ", "failed as asked (a fail job).")]
    public async Task Fail_fails_without_retries_with_the_input_as_its_error(string input, string error) =>
        Assert.Equal(error, (await Assert.ThrowsAsync<JobInputException>(() => new FailHandler().HandleAsync(Job(JobTypes.Fail, input), CancellationToken.None))).Message);

    [Fact]
    public async Task Echo_returns_the_input_unchanged() =>
        Assert.Equal("héllo\n wörld", await new EchoHandler().HandleAsync(Job(JobTypes.Echo, "héllo\n wörld"), CancellationToken.None));

    [Theory]
    [InlineData("0", "0")]
    [InlineData(" 5 ", "5")]
    public async Task Sleep_waits_and_returns_the_milliseconds(string input, string expected) =>
        Assert.Equal(expected, await new SleepHandler(TimeProvider.System).HandleAsync(Job(JobTypes.Sleep, input), CancellationToken.None));

    [Theory]
    [InlineData("")]
    [InlineData("-1")]
    [InlineData("60001")]
    [InlineData("1.5")]
    [InlineData("1e3")]
    [InlineData("ten")]
    [InlineData("99999999999999999999")]
    public async Task Sleep_rejects_input_that_is_not_0_to_60000_ms(string input)
    {
        var error = await Assert.ThrowsAsync<JobInputException>(() => new SleepHandler(TimeProvider.System).HandleAsync(Job(JobTypes.Sleep, input), CancellationToken.None));

        Assert.Contains("0 to 60000", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sleep_stops_when_cancelled()
    {
        using var cancel = new CancellationTokenSource();
        var sleeping = new SleepHandler(TimeProvider.System).HandleAsync(Job(JobTypes.Sleep, "60000"), cancel.Token);
        Assert.False(sleeping.IsCompleted);

        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => sleeping.WaitAsync(Eventually.Timeout));
    }

    [Fact]
    public async Task Llm_posts_the_input_as_a_user_message_to_chat_and_returns_the_reply()
    {
        using var chat = new FakeChat(HttpStatusCode.OK, """{"conversationId":"6f1e0f3e-52b4-4a55-9f0e-1b7f2c1d9a10","provider":"offline","message":{"role":"assistant","content":"Paris."}}""");
        var handler = new LlmHandler(chat.Client);

        var reply = await handler.HandleAsync(Job(JobTypes.Llm, "Capital of France?"), CancellationToken.None);

        Assert.Equal("Paris.", reply);
        Assert.Equal(HttpMethod.Post, chat.Request!.Method);
        Assert.Equal(new Uri("http://chat.test/chat"), chat.Request.RequestUri);
        using var body = JsonDocument.Parse(chat.RequestBody!);
        var message = Assert.Single(body.RootElement.GetProperty("messages").EnumerateArray());
        Assert.Equal("user", message.GetProperty("role").GetString());
        Assert.Equal("Capital of France?", message.GetProperty("content").GetString());
        Assert.False(body.RootElement.GetProperty("stream").GetBoolean());
        Assert.Equal([Owner.Worker], chat.Request.Headers.GetValues(Owner.HeaderName));
    }

    [Theory]
    [InlineData(HttpStatusCode.InternalServerError)]
    [InlineData(HttpStatusCode.BadGateway)]
    [InlineData(HttpStatusCode.TooManyRequests)]
    public async Task Llm_errors_throw_so_the_job_is_retried(HttpStatusCode status)
    {
        using var chat = new FakeChat(status, """{"title":"upstream failed"}""");

        var error = await Assert.ThrowsAsync<HttpRequestException>(() => new LlmHandler(chat.Client).HandleAsync(Job(JobTypes.Llm, "hi"), CancellationToken.None));

        Assert.Equal(status, error.StatusCode);
        Assert.Contains("upstream failed", error.Message, StringComparison.Ordinal);
    }

    /// <summary>helper-92: the job's error, which its task's owner reads, said "Connection refused (chat:3001)".</summary>
    [Fact]
    public async Task Chat_out_of_reach_is_retried_with_an_error_that_does_not_name_its_address()
    {
        int port;
        using (var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0))
        {
            listener.Start();
            port = ((IPEndPoint)listener.LocalEndpoint).Port;
        }

        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/") };

        var error = await Assert.ThrowsAsync<HttpRequestException>(() => new LlmHandler(new ChatClient(http)).HandleAsync(Job(JobTypes.Llm, "hi"), CancellationToken.None));

        Assert.Equal("the call to chat failed (ConnectionError).", error.Message);
        Assert.Null(error.StatusCode);
        Assert.Contains(port.ToString(System.Globalization.CultureInfo.InvariantCulture), error.InnerException!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Llm_prompt_rejected_by_chat_fails_without_retries()
    {
        using var chat = new FakeChat(HttpStatusCode.UnprocessableEntity, """{"errors":{"messages[0].content":["too long"]}}""");

        await Assert.ThrowsAsync<JobInputException>(() => new LlmHandler(chat.Client).HandleAsync(Job(JobTypes.Llm, "hi"), CancellationToken.None));
    }

    [Fact]
    public async Task Llm_reply_without_content_throws()
    {
        using var chat = new FakeChat(HttpStatusCode.OK, """{"conversationId":null,"provider":"x","message":null}""");

        await Assert.ThrowsAsync<InvalidOperationException>(() => new LlmHandler(chat.Client).HandleAsync(Job(JobTypes.Llm, "hi"), CancellationToken.None));
    }

    [Fact]
    public async Task Llm_with_an_empty_prompt_is_rejected_before_asking_chat()
    {
        using var chat = new FakeChat(HttpStatusCode.OK, "{}");

        await Assert.ThrowsAsync<JobInputException>(() => new LlmHandler(chat.Client).HandleAsync(Job(JobTypes.Llm, "  "), CancellationToken.None));
        Assert.Null(chat.Request);
    }

    [Fact]
    public void Registry_finds_handlers_by_type_and_not_unknown_types()
    {
        var registry = new JobHandlerRegistry([new EchoHandler(), new WordCountHandler(), new HashHandler()]);

        Assert.True(registry.TryGet("hash", out var handler));
        Assert.IsType<HashHandler>(handler);
        Assert.False(registry.TryGet("teleport", out _));
        Assert.False(registry.TryGet("Echo", out _));
    }

    [Fact]
    public void Registry_refuses_two_handlers_for_one_type()
    {
        var error = Assert.Throws<InvalidOperationException>(() => new JobHandlerRegistry([new EchoHandler(), new EchoHandler()]));

        Assert.Contains("'echo'", error.Message, StringComparison.Ordinal);
    }

    /// <summary>A chat service answering one canned response, recording the request.</summary>
    private sealed class FakeChat : HttpMessageHandler
    {
        private readonly HttpStatusCode _status;
        private readonly string _body;

        public FakeChat(HttpStatusCode status, string body)
        {
            _status = status;
            _body = body;
            Client = new ChatClient(new HttpClient(this) { BaseAddress = new Uri("http://chat.test/") });
        }

        public ChatClient Client { get; }

        public HttpRequestMessage? Request { get; private set; }

        public string? RequestBody { get; private set; }

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Request = request;
            RequestBody = request.Content is null ? null : await request.Content.ReadAsStringAsync(cancellationToken);
            return new HttpResponseMessage(_status) { Content = new StringContent(_body, Encoding.UTF8, "application/json") };
        }
    }
}
