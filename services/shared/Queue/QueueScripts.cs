namespace AgentSystem.Queue;

/// <summary>
/// The Lua scripts behind <see cref="RedisJobQueue"/> (docs/queue.md): each one round trip, atomic.
/// <para>
/// Leases use the Redis server's clock (<c>TIME</c>), not the callers': every worker, reclaimer and renewer then
/// judges a deadline by one clock, so a worker host whose clock runs ahead cannot reclaim leases that are still live
/// elsewhere, and a slow one cannot keep expired ones. Redis 5+ replicates scripts by their effects, which makes
/// <c>TIME</c> legal before writes; <c>redis.replicate_commands()</c> asks for that on Redis 3.2 and 4 too.
/// Deadlines and dead-letter times are milliseconds since the Unix epoch.
/// </para>
/// </summary>
internal static class QueueScripts
{
    private const string Now = """
        if redis.replicate_commands then redis.replicate_commands() end
        local clock = redis.call('TIME')
        local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)

        """;

    /// <summary>
    /// Wakes one idle waiter (<see cref="Wait"/>): pops registrations, soonest deadline first, until one is still within
    /// its deadline and has a subscriber on its channel (a waiter that died or stopped has none). Needs <c>now</c>.
    /// </summary>
    private const string WakeOne = """
        local function wake_one(idle)
          while true do
            local waiter = redis.call('ZPOPMIN', idle)
            if #waiter == 0 then
              return
            end
            if tonumber(waiter[2]) >= now and redis.call('PUBLISH', waiter[1], 1) > 0 then
              return
            end
          end
        end

        """;

    /// <summary>
    /// KEYS: queue, known, idle. ARGV: (job id, message) pairs. Pushes, in one LPUSH, each message whose job id was not
    /// known yet, and wakes one idle waiter; returns how many were pushed.
    /// </summary>
    public const string Enqueue = Now + WakeOne + """
        local fresh = {}
        for i = 1, #ARGV, 2 do
          if redis.call('SADD', KEYS[2], ARGV[i]) == 1 then
            fresh[#fresh + 1] = ARGV[i + 1]
          end
        end
        if #fresh > 0 then
          redis.call('LPUSH', KEYS[1], unpack(fresh))
          wake_one(KEYS[3])
        end
        return #fresh
        """;

    /// <summary>
    /// KEYS: queue, processing, idle. ARGV: max, lease ms, the claimer's channel. Returns { deadline, message... }, oldest
    /// first: one RPOP of up to max (Redis 6.2 or later) and one ZADD leasing them all. The claimer is no longer idle;
    /// when it took all it asked for and jobs are left, it wakes another waiter to take them.
    /// </summary>
    public const string Claim = Now + WakeOne + """
        redis.call('ZREM', KEYS[3], ARGV[3])
        local deadline = now + tonumber(ARGV[2])
        local messages = redis.call('RPOP', KEYS[1], ARGV[1])
        if not messages then
          return { deadline }
        end
        local leases = {}
        for i, message in ipairs(messages) do
          leases[2 * i - 1] = deadline
          leases[2 * i] = message
        end
        redis.call('ZADD', KEYS[2], unpack(leases))
        if #messages == tonumber(ARGV[1]) and redis.call('LLEN', KEYS[1]) > 0 then
          wake_one(KEYS[3])
        end
        return { deadline, unpack(messages) }
        """;

    /// <summary>
    /// KEYS: queue, idle. ARGV: the waiter's channel, how long it will wait (ms). Returns 1 when jobs are waiting (do not
    /// wait: claim), otherwise registers the waiter until then, so that the next enqueue wakes it, and returns 0. The
    /// check and the registration are one step: no enqueue falls between them unseen.
    /// </summary>
    public const string Wait = Now + """
        if redis.call('LLEN', KEYS[1]) > 0 then
          return 1
        end
        redis.call('ZADD', KEYS[2], now + tonumber(ARGV[2]), ARGV[1])
        return 0
        """;

    /// <summary>
    /// KEYS: processing, known. ARGV: (message, job id) pairs. Removes the leases still held and their job ids (one
    /// ZMSCORE, one ZREM, one SREM); returns a flag per pair, 1 when its lease was held. A lease already lost (the job
    /// was reclaimed and requeued as a new message) leaves the job id known: the requeued copy still counts.
    /// </summary>
    public const string Ack = """
        local messages, ids = {}, {}
        for i = 1, #ARGV, 2 do
          messages[#messages + 1] = ARGV[i]
          ids[#ids + 1] = ARGV[i + 1]
        end
        local scores = redis.call('ZMSCORE', KEYS[1], unpack(messages))
        local held, heldIds, flags = {}, {}, {}
        for i = 1, #messages do
          if scores[i] then
            held[#held + 1] = messages[i]
            heldIds[#heldIds + 1] = ids[i]
            flags[i] = 1
          else
            flags[i] = 0
          end
        end
        if #held > 0 then
          redis.call('ZREM', KEYS[1], unpack(held))
          redis.call('SREM', KEYS[2], unpack(heldIds))
        end
        return flags
        """;

    /// <summary>
    /// KEYS: queue, processing, known, dead, idle. ARGV: message, job id, requeued message, error, final (1/0).
    /// Returns 1 when the lease was held (otherwise the reclaimer has already requeued or dead-lettered the job).
    /// </summary>
    public const string Nack = Now + WakeOne + """
        if redis.call('ZREM', KEYS[2], ARGV[1]) == 0 then
          return 0
        end
        if ARGV[5] == '1' then
          redis.call('LPUSH', KEYS[4], '{"message":' .. ARGV[1] .. ',"error":' .. cjson.encode(ARGV[4]) .. ',"at":' .. string.format('%d', now) .. '}')
          redis.call('SREM', KEYS[3], ARGV[2])
        else
          redis.call('LPUSH', KEYS[1], ARGV[3])
          wake_one(KEYS[5])
        end
        return 1
        """;

    /// <summary>
    /// KEYS: processing. ARGV: lease ms, then messages. Extends the leases still held (one ZMSCORE, one ZADD XX); returns
    /// { new deadline, the 1-based positions of the messages whose lease was lost... }.
    /// </summary>
    public const string Renew = Now + """
        local deadline = now + tonumber(ARGV[1])
        local messages = {}
        for i = 2, #ARGV do
          messages[#messages + 1] = ARGV[i]
        end
        local scores = redis.call('ZMSCORE', KEYS[1], unpack(messages))
        local result, leases = { deadline }, {}
        for i = 1, #messages do
          if scores[i] then
            leases[#leases + 1] = deadline
            leases[#leases + 1] = messages[i]
          else
            result[#result + 1] = i
          end
        end
        if #leases > 0 then
          redis.call('ZADD', KEYS[1], 'XX', unpack(leases))
        end
        return result
        """;

    /// <summary>
    /// KEYS: queue, processing, known, dead, idle. ARGV: max attempts, limit, enqueued-at (ISO 8601).
    /// Returns { requeued, dead-lettered, the dead-lettered messages... }. The requeued copy is the message with
    /// attempt + 1 and a new enqueuedAt.
    /// </summary>
    public const string Reclaim = Now + WakeOne + """
        local expired = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now, 'LIMIT', 0, tonumber(ARGV[2]))
        local maxAttempts = tonumber(ARGV[1])
        local requeued, dead = 0, 0
        local buried = {}
        local at = string.format('%d', now)
        for _, raw in ipairs(expired) do
          redis.call('ZREM', KEYS[2], raw)
          local ok, message = pcall(cjson.decode, raw)
          if not ok or type(message) ~= 'table' then
            redis.call('LPUSH', KEYS[4], '{"raw":' .. cjson.encode(raw) .. ',"error":"unreadable message","at":' .. at .. '}')
            dead = dead + 1
          else
            local attempt = tonumber(message.attempt) or 1
            if attempt >= maxAttempts then
              local error = 'lease expired on attempt ' .. string.format('%d', attempt) .. ' of ' .. ARGV[1]
              redis.call('LPUSH', KEYS[4], '{"message":' .. raw .. ',"error":' .. cjson.encode(error) .. ',"at":' .. at .. '}')
              redis.call('SREM', KEYS[3], tostring(message.jobId))
              dead = dead + 1
              buried[#buried + 1] = raw
            else
              message.attempt = attempt + 1
              message.enqueuedAt = ARGV[3]
              redis.call('LPUSH', KEYS[1], cjson.encode(message))
              requeued = requeued + 1
            end
          end
        end
        if requeued > 0 then
          wake_one(KEYS[5])
        end
        local result = { requeued, dead }
        for i = 1, #buried do
          result[#result + 1] = buried[i]
        end
        return result
        """;

    /// <summary>KEYS: queue, processing, dead. One consistent snapshot.</summary>
    public const string Stats = """
        return { redis.call('LLEN', KEYS[1]), redis.call('ZCARD', KEYS[2]), redis.call('LLEN', KEYS[3]) }
        """;

    /// <summary>KEYS: processing, dead. ARGV: message, error. Buries a claimed message the client cannot read.</summary>
    public const string Bury = Now + """
        if redis.call('ZREM', KEYS[1], ARGV[1]) == 1 then
          redis.call('LPUSH', KEYS[2], '{"raw":' .. cjson.encode(ARGV[1]) .. ',"error":' .. cjson.encode(ARGV[2]) .. ',"at":' .. string.format('%d', now) .. '}')
          return 1
        end
        return 0
        """;
}
