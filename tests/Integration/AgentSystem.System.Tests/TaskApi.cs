using System.Net.Http.Json;
using System.Text.Json;

namespace AgentSystem.SystemTests;

/// <summary>Small helpers over the public task API (docs/api.md), shared by the system tests.</summary>
public static class TaskApi
{
    public static async Task<JsonElement> SubmitAsync(HttpClient api, object body)
    {
        using var response = await api.PostAsJsonAsync(new Uri("/api/tasks", UriKind.Relative), body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == System.Net.HttpStatusCode.Accepted, $"expected 202, got {(int)response.StatusCode}: {text}");
        Assert.NotNull(response.Headers.Location);
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    public static async Task<JsonElement> GetAsync(HttpClient api, string id)
    {
        using var response = await api.GetAsync(new Uri($"/api/tasks/{id}", UriKind.Relative));
        response.EnsureSuccessStatusCode();
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
    }

    /// <summary>Polls until the task is final (succeeded, failed, cancelled) or the timeout passes.</summary>
    public static async Task<JsonElement> WaitFinalAsync(HttpClient api, string id, TimeSpan timeout, Func<string>? diagnostics = null)
    {
        var deadline = DateTime.UtcNow + timeout;
        JsonElement task;
        do
        {
            task = await GetAsync(api, id);
            if (task.GetProperty("status").GetString() is "succeeded" or "failed" or "cancelled")
            {
                return task;
            }

            await Task.Delay(100);
        }
        while (DateTime.UtcNow < deadline);
        Assert.Fail($"task {id} not final after {timeout.TotalSeconds} s: {task}{Environment.NewLine}{diagnostics?.Invoke()}");
        return task;
    }

    public static JsonElement Job(JsonElement task, int index) => task.GetProperty("jobs")[index];
}
