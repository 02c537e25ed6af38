using AgentSystem.Contracts;
using AgentSystem.Orchestrator.Model;
using AgentSystem.Orchestrator.Services;

namespace AgentSystem.Orchestrator.Tests;

public sealed class InMemoryTaskStoreTests
{
    [Fact]
    public async Task Created_task_is_found_with_pending_jobs_in_order()
    {
        var store = new InMemoryTaskStore(TimeProvider.System);

        var created = await store.CreateAsync([new NewJob("echo", "a"), new NewJob("hash", "b")], CancellationToken.None);
        var found = await store.FindAsync(created.Id, CancellationToken.None);

        Assert.NotNull(found);
        Assert.Equal(TaskState.Queued, found.Status);
        Assert.Equal(["echo", "hash"], found.Jobs.Select(j => j.Type));
        Assert.All(found.Jobs, j => Assert.Equal(JobState.Queued, j.Status));
        Assert.Null(await store.FindAsync(Guid.NewGuid(), CancellationToken.None));
    }
}
