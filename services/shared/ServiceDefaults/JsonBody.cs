using System.Buffers;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using System.Text.Unicode;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Net.Http.Headers;

namespace AgentSystem.ServiceDefaults;

/// <summary>
/// Reads a JSON request body with a size limit, so that every way it can be wrong gets its own 4xx ProblemDetails in
/// the contract's terms (field paths and JSON types, never a .NET type): 415 not JSON or not UTF-8, 413 too large, and
/// 400 for an empty body, bytes that are not UTF-8, malformed JSON (with line and byte), nesting deeper than 64, a
/// property given twice, a string escape that is not Unicode (half a surrogate pair), or a value of the wrong type.
/// Bad bodies name the field in <c>errors</c> where there is one.
/// </summary>
public static class JsonBody
{
    /// <summary>Deepest nesting of objects and arrays accepted (System.Text.Json's default).</summary>
    public const int MaxDepth = 64;

    /// <summary>The most a body's buffer takes before its bytes arrive (most bodies fit: a task of a few jobs).</summary>
    public const int FirstBufferBytes = 64 * 1024;

    /// <summary>
    /// How long a body may take to arrive whole. Kestrel's minimum data rate is an average over the upload, so a client
    /// that sends most of a large body at once and then a byte every 20 s was held to it for hours (helper-92); and the
    /// orchestrator's HTTP/2 port, one connection for every client of a gateway, holds no request to a rate at all.
    /// </summary>
    public static readonly TimeSpan ArrivalTimeout = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Reads the body as <typeparamref name="T"/>, or says what is wrong with it: also 408 when it does not arrive within
    /// <paramref name="arrivalTimeout"/> (default <see cref="ArrivalTimeout"/>), and 503 when the process's
    /// <paramref name="buffers"/> (default <see cref="BodyBuffers.Shared"/>) cannot hold more of it than its first buffer.
    /// </summary>
    public static async Task<(T? Value, ProblemHttpResult? Error)> ReadAsync<T>(HttpRequest request, JsonTypeInfo<T> typeInfo, long maxBytes, CancellationToken cancellationToken,
        TimeSpan? arrivalTimeout = null, BodyBuffers? buffers = null)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(typeInfo);
        buffers ??= BodyBuffers.Shared;
        var timeout = arrivalTimeout ?? ArrivalTimeout;

        if (request.ContentType is { } contentType && UnsupportedMediaType(contentType) is { } unsupported)
        {
            return (null, unsupported);
        }

        if (request.ContentLength > maxBytes)
        {
            return (null, TooLarge(maxBytes));
        }

        // Grown as bytes arrive: a Content-Length is a claim, and a client that announces 8 MiB and trickles a few bytes
        // must not hold 8 MiB of this process for as long as it keeps the connection open. Grown here, not by a buffer
        // writer, so that what lies past the first buffer is lent by the budget before it is allocated (helper-93).
        var buffer = new byte[request.ContentLength is > 0 and var length ? (int)Math.Min(length, FirstBufferBytes) : 4096];
        var written = 0;
        long borrowed = 0;
        using var arrival = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        arrival.CancelAfter(timeout);
        try
        {
            // Kestrel delivers no more than the announced length: once it is here, asking for more would only grow the buffer.
            while (request.ContentLength is not { } announced || written < announced)
            {
                if (written == buffer.Length)
                {
                    // Doubled, up to the announced length, or one byte past the limit to see a body that has no length exceed it.
                    var grown = (int)Math.Min(Math.Min(2L * buffer.Length, Array.MaxLength), request.ContentLength ?? maxBytes + 1);
                    var beyondFirst = Math.Max(0, grown - FirstBufferBytes);
                    if (beyondFirst > borrowed)
                    {
                        if (beyondFirst > buffers.Budget)
                        {
                            return (null, TooLarge(Math.Min(maxBytes, buffers.Budget / 2)));   // would wait for ever (helper-93)
                        }

                        if (!buffers.TryTake(beyondFirst - borrowed))
                        {
                            return (null, Busy(request));
                        }

                        borrowed = beyondFirst;
                    }

                    Array.Resize(ref buffer, grown);
                }

                var read = await RequestBodyReads.ReadAsync(request.BodyReader, buffer.AsMemory(written), arrival.Token);
                if (read == 0)
                {
                    break;
                }

                written += read;
                if (written > maxBytes)
                {
                    return (null, TooLarge(maxBytes));
                }
            }
        }
        catch (OperationCanceledException) when (arrival.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            return (null, TooSlow(timeout, written, request.ContentLength));
        }
        finally
        {
            if (borrowed > 0)
            {
                buffers.Return(borrowed);
            }
        }

        return Parse(buffer.AsSpan(0, written), typeInfo);
    }

    /// <summary>The body's bytes as <typeparamref name="T"/>, or the 400 that says what is wrong with them.</summary>
    public static (T? Value, ProblemHttpResult? Error) Parse<T>(ReadOnlySpan<byte> body, JsonTypeInfo<T> typeInfo)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(typeInfo);

        // A byte order mark says nothing in UTF-8; some clients send one.
        if (body.StartsWith("\uFEFF"u8))
        {
            body = body[3..];
        }

        if (body.IsEmpty)
        {
            return (null, Malformed("The request body is empty: send a JSON object.", path: null));
        }

        if (CheckShape(body) is { } shapeError)
        {
            return (null, shapeError);
        }

        try
        {
            return JsonSerializer.Deserialize(body, typeInfo) is { } value
                ? (value, null)
                : (null, Malformed("The request body is null: send a JSON object.", path: null));
        }
        catch (JsonException error)
        {
            // The shape was checked above, so what is left is a value the type cannot take: of another JSON type, or one
            // it cannot parse or hold (the serializer wraps a FormatException then: "not-a-uuid" for a Guid, 1.5 for an int).
            var path = FieldPath(error.Path);
            var where = path is null ? "The request body" : $"The value at '{path}'";
            var what = error.InnerException is FormatException ? "has the right JSON type but a form or range it cannot take" : "has the wrong JSON type";
            return (null, Malformed($"{where} {what}: expected {Expected(typeInfo, error.Path)}.", path));
        }
    }

    /// <summary>"$.jobs[0].type" as the contract names fields: "jobs[0].type"; null for the root.</summary>
    public static string? FieldPath(string? jsonPath) =>
        jsonPath is null or "$" ? null : jsonPath.StartsWith("$.", StringComparison.Ordinal) ? jsonPath[2..] : jsonPath.TrimStart('$');

    // Everything that is wrong with the bytes whatever the target type: encoding, syntax, depth, duplicate
    // properties (names are matched without regard to case, as the services bind them) and strings that are not Unicode.
    private static ProblemHttpResult? CheckShape(ReadOnlySpan<byte> body)
    {
        if (!Utf8.IsValid(body))
        {
            return Malformed(string.Create(CultureInfo.InvariantCulture, $"The request body is not valid UTF-8 (byte {FirstInvalidUtf8(body) + 1}): send JSON encoded as UTF-8."), path: null);
        }

        var reader = new Utf8JsonReader(body, new JsonReaderOptions { MaxDepth = MaxDepth });
        var path = new JsonPathTracker();
        try
        {
            while (reader.Read())
            {
                switch (reader.TokenType)
                {
                    case JsonTokenType.PropertyName:
                        var name = reader.GetString()!;
                        if (!path.Property(name))
                        {
                            return Malformed($"The property '{name}' is given twice at '{path}' (names are not case-sensitive).", path.ToString());
                        }

                        break;
                    case JsonTokenType.StartObject or JsonTokenType.StartArray:
                        path.Value();
                        path.Enter(reader.TokenType == JsonTokenType.StartArray);
                        break;
                    case JsonTokenType.EndObject or JsonTokenType.EndArray:
                        path.Leave();
                        break;
                    case JsonTokenType.String when reader.ValueIsEscaped:
                        path.Value();
                        _ = reader.GetString();
                        break;
                    default:
                        path.Value();
                        break;
                }
            }
        }
        catch (InvalidOperationException)
        {
            // GetString on an escape of half a surrogate pair (raw UTF-8 was checked above).
            var at = path.ToString() is { Length: > 0 } where ? $" at '{where}'" : "";
            return Malformed($"The string{at} is not valid Unicode: a \\u escape is half of a surrogate pair.", path.ToString() is { Length: > 0 } field ? field : null);
        }
        catch (JsonException error)
        {
            var at = path.ToString() is { Length: > 0 } where ? $" at '{where}'" : "";
            return Malformed(string.Create(CultureInfo.InvariantCulture, $"The request body is not valid JSON{at} (line {error.LineNumber + 1}, byte {error.BytePositionInLine + 1}): {ReaderReason(error)}"), path: null);
        }

        return null;
    }

    private static int FirstInvalidUtf8(ReadOnlySpan<byte> bytes)
    {
        var offset = 0;
        while (offset < bytes.Length)
        {
            if (System.Text.Rune.DecodeFromUtf8(bytes[offset..], out _, out var consumed) != OperationStatus.Done)
            {
                return offset;
            }

            offset += consumed;
        }

        return offset;
    }

    // The reader's own words without its position suffix (" LineNumber: 0 | BytePositionInLine: 13."), which is given above.
    private static string ReaderReason(JsonException error)
    {
        var message = error.Message;
        var position = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
        return (position >= 0 ? message[..position] : message).Trim();
    }

    // What the type declares at that path, in JSON's terms.
    private static string Expected(JsonTypeInfo root, string? jsonPath)
    {
        try
        {
            var info = root;
            foreach (var segment in Segments(jsonPath))
            {
                var next = segment is int
                    ? info.ElementType
                    : info.Properties.FirstOrDefault(p => string.Equals(p.Name, (string)segment, StringComparison.OrdinalIgnoreCase))?.PropertyType;
                if (next is null)
                {
                    return "another type";
                }

                info = root.Options.GetTypeInfo(next);
            }

            return Describe(info);
        }
        catch (NotSupportedException)
        {
            return "another type";
        }
    }

    private static string Describe(JsonTypeInfo info)
    {
        var type = Nullable.GetUnderlyingType(info.Type) ?? info.Type;
        return type switch
        {
            _ when type == typeof(string) || type.IsEnum => "a string",
            _ when type == typeof(bool) => "true or false",
            _ when type == typeof(Guid) => "a UUID string",
            _ when type == typeof(DateTime) || type == typeof(DateTimeOffset) => "an ISO 8601 date and time string",
            _ when type == typeof(int) || type == typeof(long) || type == typeof(short) || type == typeof(byte) => "a whole number in range",
            _ when type == typeof(double) || type == typeof(float) || type == typeof(decimal) => "a number",
            _ => info.Kind switch
            {
                JsonTypeInfoKind.Enumerable => "an array",
                JsonTypeInfoKind.Object or JsonTypeInfoKind.Dictionary => "an object",
                _ => "another type",
            },
        };
    }

    // "$.jobs[0].type" as "jobs", 0, "type"; "$['a.b']" as "a.b".
    private static IEnumerable<object> Segments(string? jsonPath)
    {
        var path = jsonPath ?? "$";
        var i = path.StartsWith('$') ? 1 : 0;
        while (i < path.Length)
        {
            if (path[i] == '.')
            {
                var end = path.IndexOfAny(['.', '['], i + 1);
                end = end < 0 ? path.Length : end;
                yield return path[(i + 1)..end];
                i = end;
            }
            else if (path.AsSpan(i).StartsWith("['", StringComparison.Ordinal))
            {
                var end = path.IndexOf("']", i + 2, StringComparison.Ordinal);
                end = end < 0 ? path.Length : end;
                yield return path[(i + 2)..end];
                i = Math.Min(path.Length, end + 2);
            }
            else if (path[i] == '[')
            {
                var end = path.IndexOf(']', i);
                end = end < 0 ? path.Length : end;
                yield return int.Parse(path.AsSpan(i + 1, end - i - 1), CultureInfo.InvariantCulture);
                i = Math.Min(path.Length, end + 1);
            }
            else
            {
                yield break;
            }
        }
    }

    private static ProblemHttpResult? UnsupportedMediaType(string contentType)
    {
        if (!MediaTypeHeaderValue.TryParse(contentType, out var mediaType)
            || !(mediaType.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase) || mediaType.Suffix.Equals("json", StringComparison.OrdinalIgnoreCase)))
        {
            return TypedResults.Problem(
                statusCode: StatusCodes.Status415UnsupportedMediaType,
                title: "The request body must be JSON",
                detail: $"Send Content-Type: application/json (the request said '{contentType}').");
        }

        return mediaType.Charset.HasValue && !mediaType.Charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase)
            ? TypedResults.Problem(
                statusCode: StatusCodes.Status415UnsupportedMediaType,
                title: "The request body must be UTF-8",
                detail: $"JSON is read as UTF-8 only (the request said charset={mediaType.Charset}).")
            : null;
    }

    private static ProblemHttpResult TooSlow(TimeSpan timeout, long received, long? announced) => TypedResults.Problem(
        statusCode: StatusCodes.Status408RequestTimeout,
        title: "The request body did not arrive in time",
        detail: string.Create(CultureInfo.InvariantCulture,
            $"A request body must arrive whole within {timeout.TotalSeconds:0.###} s; {received:N0}{(announced is { } total ? $" of {total:N0}" : "")} bytes came."));

    private static ProblemHttpResult Busy(HttpRequest request)
    {
        request.HttpContext.Response.Headers.RetryAfter = "5";
        return TypedResults.Problem(
            statusCode: StatusCodes.Status503ServiceUnavailable,
            title: "Too many large request bodies are arriving",
            detail: "The service holds as many large request bodies as it has memory for; send this one again in a few seconds.");
    }

    private static ProblemHttpResult TooLarge(long maxBytes) => TypedResults.Problem(
        statusCode: StatusCodes.Status413PayloadTooLarge,
        title: "The request body is too large",
        detail: string.Create(CultureInfo.InvariantCulture, $"At most {maxBytes:N0} bytes are accepted."));

    // "errors" only when there is a field to name: an empty "errors": {} tells a client nothing.
    private static ProblemHttpResult Malformed(string detail, string? path)
    {
        var problem = path is null ? new ProblemDetails() : new HttpValidationProblemDetails { Errors = { [path] = [detail] } };
        (problem.Status, problem.Title, problem.Detail) = (StatusCodes.Status400BadRequest, "The request body is malformed", detail);
        return TypedResults.Problem(problem);
    }

    /// <summary>Where the reader is, as a field path ("jobs[0].type"), and the property names seen in each open object.</summary>
    private sealed class JsonPathTracker
    {
        private readonly List<Frame> _frames = [];

        public void Enter(bool array) => _frames.Add(new Frame(array));

        public void Leave() => _frames.RemoveAt(_frames.Count - 1);

        /// <summary>A value starts: in an array, the next index.</summary>
        public void Value()
        {
            if (_frames.Count > 0 && _frames[^1].IsArray)
            {
                _frames[^1].Index++;
            }
        }

        /// <summary>False when the open object has this property already.</summary>
        public bool Property(string name)
        {
            var frame = _frames[^1];
            frame.Property = name;
            frame.Seen ??= new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            return frame.Seen.Add(name);
        }

        public override string ToString()
        {
            var path = new System.Text.StringBuilder();
            foreach (var frame in _frames)
            {
                if (frame.IsArray && frame.Index >= 0)
                {
                    path.Append(CultureInfo.InvariantCulture, $"[{frame.Index}]");
                }
                else if (!frame.IsArray && frame.Property is { } property)
                {
                    path.Append(path.Length == 0 ? "" : ".").Append(property);
                }
            }

            return path.ToString();
        }

        private sealed class Frame(bool isArray)
        {
            public bool IsArray { get; } = isArray;

            public int Index { get; set; } = -1;

            public string? Property { get; set; }

            public HashSet<string>? Seen { get; set; }
        }
    }
}
