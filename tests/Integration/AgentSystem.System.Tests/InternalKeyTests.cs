using System.Net;
using AgentSystem.Contracts;

namespace AgentSystem.SystemTests;

/// <summary>
/// The orchestrator and chat answer only the gateway and the workers, which present <c>Internal:Key</c>: a program
/// that reaches them past the gateway cannot name an owner and read its tasks, nor read everything by naming none.
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class InternalKeyTests(SystemFixture system)
{
    [Fact]
    public async Task A_caller_past_the_gateway_without_the_key_is_refused_by_the_orchestrator_and_chat()
    {
        using var stranger = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var requests = new[]
        {
            new Uri(system.Orchestrator.BaseAddress, "/tasks"),
            new Uri(system.Chat.BaseAddress, "/chat/conversations"),
        };

        foreach (var uri in requests)
        {
            foreach (var owner in new[] { null, "partner" })
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, uri);
                if (owner is not null)
                {
                    request.Headers.Add(Owner.HeaderName, owner);
                }

                using var response = await stranger.SendAsync(request);
                Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            }

            using var probe = await stranger.GetAsync(new Uri(uri, "/healthz"));
            Assert.Equal(HttpStatusCode.OK, probe.StatusCode);
        }
    }

    [Fact]
    public async Task The_workers_llm_jobs_reach_chat_with_the_key()
    {
        var submitted = await TaskApi.SubmitAsync(system.Api, new { jobs = new[] { new { type = "llm", input = "Say hello" } } });

        var task = await TaskApi.WaitFinalAsync(system.Api, submitted.GetProperty("id").GetString()!, TimeSpan.FromSeconds(60), system.Diagnostics);

        Assert.Equal("succeeded", task.GetProperty("status").GetString());
        Assert.False(string.IsNullOrEmpty(TaskApi.Job(task, 0).GetProperty("result").GetString()));
    }
}
