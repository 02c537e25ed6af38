using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace AgentSystem.Orchestrator.Tests;

internal static class Problems
{
    /// <summary>Asserts a ProblemDetails answer with this status and returns it.</summary>
    public static async Task<JsonElement> ReadAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal((int)status, problem.GetProperty("status").GetInt32());
        return problem;
    }

    /// <summary>Asserts a 422 and returns the field paths its errors name, sorted.</summary>
    public static async Task<IReadOnlyList<string>> ReadErrorKeysAsync(HttpResponseMessage response, HttpStatusCode status = HttpStatusCode.UnprocessableEntity)
    {
        var problem = await ReadAsync(response, status);
        return [.. problem.GetProperty("errors").EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal)];
    }
}
