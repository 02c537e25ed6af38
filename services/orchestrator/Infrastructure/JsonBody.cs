using System.Buffers;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Net.Http.Headers;

namespace AgentSystem.Orchestrator.Infrastructure;

/// <summary>
/// Reads a JSON request body with a size limit, so every way it can be wrong gets its own 4xx ProblemDetails
/// (413 too large, 415 not JSON, 400 malformed or of the wrong JSON types, with the path of the bad value) instead
/// of the framework's generic binding failure.
/// </summary>
public static class JsonBody
{
    public static async Task<(T? Value, IResult? Error)> ReadAsync<T>(HttpRequest request, JsonTypeInfo<T> typeInfo, long maxBytes, CancellationToken cancellationToken)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(typeInfo);

        if (request.ContentType is { } contentType && !IsJson(contentType))
        {
            return (null, TypedResults.Problem(
                statusCode: StatusCodes.Status415UnsupportedMediaType,
                title: "The request body must be JSON",
                detail: $"Send Content-Type: application/json (the request said '{contentType}')."));
        }

        if (request.ContentLength > maxBytes)
        {
            return (null, TooLarge(maxBytes));
        }

        var buffer = new ArrayBufferWriter<byte>(request.ContentLength is > 0 and var length ? (int)length : 4096);
        while (true)
        {
            var memory = buffer.GetMemory(16 * 1024);
            var read = await request.Body.ReadAsync(memory, cancellationToken);
            if (read == 0)
            {
                break;
            }

            buffer.Advance(read);
            if (buffer.WrittenCount > maxBytes)
            {
                return (null, TooLarge(maxBytes));
            }
        }

        if (buffer.WrittenCount == 0)
        {
            return (null, Malformed("The request body is empty: send a JSON object.", path: null));
        }

        try
        {
            return JsonSerializer.Deserialize(buffer.WrittenSpan, typeInfo) is { } value
                ? (value, null)
                : (null, Malformed("The request body is null: send a JSON object.", path: null));
        }
        catch (JsonException error)
        {
            // A value of the wrong type names its field in 'errors' too; a syntax error has only a position.
            var syntaxError = error.InnerException is JsonException;
            return (null, Malformed(Describe(error), syntaxError ? null : FieldPath(error.Path)));
        }
    }

    /// <summary>"$.jobs[0].type" as the contract names fields: "jobs[0].type"; null for the root.</summary>
    public static string? FieldPath(string? jsonPath) =>
        jsonPath is null or "$" ? null : jsonPath.StartsWith("$.", StringComparison.Ordinal) ? jsonPath[2..] : jsonPath.TrimStart('$');

    private static string Describe(JsonException error)
    {
        var path = FieldPath(error.Path);
        var where = path is null ? "" : $" at '{path}'";
        var line = error.LineNumber is { } number ? $" (line {number + 1}, byte {error.BytePositionInLine + 1})" : "";
        // The reader's syntax errors come wrapped; a value of the wrong JSON type does not. The serializer's own
        // message names CLR types: say it in the contract's terms.
        return error.InnerException is JsonException
            ? $"The request body is not valid JSON{where}{line}."
            : $"The value{where} has the wrong JSON type{line}: expected {Expected(path)}.";
    }

    private static string Expected(string? path) => path switch
    {
        null => "an object",
        _ when path.EndsWith(']') => "an object",
        "jobs" => "an array of jobs",
        _ when path.EndsWith(".type", StringComparison.Ordinal) || path.EndsWith(".input", StringComparison.Ordinal) || path == "goal" => "a string",
        _ => "another type",
    };

    private static bool IsJson(string contentType) =>
        MediaTypeHeaderValue.TryParse(contentType, out var mediaType)
        && (mediaType.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase)
            || mediaType.Suffix.Equals("json", StringComparison.OrdinalIgnoreCase));

    private static ProblemHttpResult TooLarge(long maxBytes) => TypedResults.Problem(
        statusCode: StatusCodes.Status413PayloadTooLarge,
        title: "The request body is too large",
        detail: $"At most {maxBytes} bytes are accepted.");

    private static ProblemHttpResult Malformed(string detail, string? path)
    {
        var problem = new HttpValidationProblemDetails { Status = StatusCodes.Status400BadRequest, Title = "The request body is malformed", Detail = detail };
        if (path is not null)
        {
            problem.Errors[path] = [detail];
        }

        return TypedResults.Problem(problem);
    }
}
