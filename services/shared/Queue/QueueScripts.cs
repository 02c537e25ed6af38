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
    /// <c>bury(key, entry, keep)</c>: pushes a dead letter and keeps the newest <c>keep</c>. The list is for looking at
    /// what failed (each job's row in PostgreSQL is <c>dead</c> whatever happens to it), and unbounded it filled Redis.
    /// </summary>
    private const string BuryLetter = """
        local function bury(key, entry, keep)
          redis.call('LPUSH', key, entry)
          redis.call('LTRIM', key, 0, tonumber(keep) - 1)
        end

        """;

    /// <summary>
    /// A client's list of waiting messages (<c>lane</c>): the queue key itself for the shared lane (<c>''</c>: jobs of
    /// no client, and everything older versions pushed), <c>queue:{client}</c> for each client. A client is on the
    /// ready ring while its lane holds messages; <c>push</c> keeps it so (a list that was empty before the push joins).
    /// The lanes' names are made here, not passed as keys: one Redis server, no cluster.
    /// </summary>
    private const string Lanes = """
        local function lane(client)
          if client == '' then
            return KEYS[1]
          end
          return KEYS[1] .. ':' .. client
        end
        local function push(ready, client, messages)
          if redis.call('LPUSH', lane(client), unpack(messages)) == #messages then
            redis.call('RPUSH', ready, client)
          end
        end
        local function client_of(message)
          if type(message.client) == 'string' then
            return message.client
          end
          return ''
        end

        """;

    /// <summary>
    /// KEYS: queue, known, idle, ready. ARGV: for each client, its name (<c>''</c> for none), a count n, then n (job id,
    /// message) pairs. Pushes, in one LPUSH per client, each message whose job id was not known yet, and wakes one idle
    /// waiter; returns how many were pushed.
    /// </summary>
    public const string Enqueue = Now + WakeOne + Lanes + """
        local pushed = 0
        local i = 1
        while i <= #ARGV do
          local client, count = ARGV[i], tonumber(ARGV[i + 1])
          local fresh = {}
          for j = i + 2, i + 2 * count, 2 do
            if redis.call('SADD', KEYS[2], ARGV[j]) == 1 then
              fresh[#fresh + 1] = ARGV[j + 1]
            end
          end
          if #fresh > 0 then
            push(KEYS[4], client, fresh)
            pushed = pushed + #fresh
          end
          i = i + 2 + 2 * count
        end
        if pushed > 0 then
          wake_one(KEYS[3])
        end
        return pushed
        """;

    /// <summary>
    /// KEYS: queue, processing, idle, ready. ARGV: max, lease ms, the claimer's channel, max bytes. Returns { deadline,
    /// message... }: each waiting client in turn (the ready ring) gives an equal part of what is left to take, oldest
    /// first, until max are taken, the next message would take the claim past max bytes (the first is taken whatever its
    /// size; the rest go back to their lane in order), or no client has more; one ZADD leases them all. The shared lane
    /// joins the ring first when it holds messages but is not on it (an older version pushed them). The claimer is no
    /// longer idle; when it took all it could and jobs are left, it wakes another waiter to take them.
    /// </summary>
    public const string Claim = Now + WakeOne + Lanes + """
        redis.call('ZREM', KEYS[3], ARGV[3])
        local deadline = now + tonumber(ARGV[2])
        local max = tonumber(ARGV[1])
        local budget = tonumber(ARGV[4])
        local bytes = 0
        local full = false
        -- The shared lane may hold messages while off the ring (pushed by an older version, or already waiting at the
        -- upgrade): it joins, so that it takes its turn behind no client's backlog.
        if redis.call('LLEN', KEYS[1]) > 0 and not redis.call('LPOS', KEYS[4], '') then
          redis.call('RPUSH', KEYS[4], '')
        end
        local messages = {}
        -- Rounds: each waiting client gives up to an equal part of what is left. A round that does not fill the claim
        -- drops a client that ran out, so the rounds end.
        while #messages < max and not full do
          local waiting = redis.call('LLEN', KEYS[4])
          if waiting == 0 then
            break
          end
          local share = math.ceil((max - #messages) / waiting)
          for _ = 1, waiting do
            if #messages == max or full then
              break
            end
            local client = redis.call('LMOVE', KEYS[4], KEYS[4], 'LEFT', 'RIGHT')
            local wanted = math.min(share, max - #messages)
            local taken = redis.call('RPOP', lane(client), wanted)
            if taken then
              for k, message in ipairs(taken) do
                if #messages > 0 and bytes + #message > budget then
                  -- Over the byte budget: this one and the rest go back, the oldest pushed last so it is popped first.
                  local back = {}
                  for r = #taken, k, -1 do
                    back[#back + 1] = taken[r]
                  end
                  redis.call('RPUSH', lane(client), unpack(back))
                  if k == 1 then
                    -- It gave nothing: back to the head of the ring, so the next claim starts with it (and takes its
                    -- first message whatever the size); at the tail, clients of small messages could fill every claim first.
                    redis.call('LMOVE', KEYS[4], KEYS[4], 'RIGHT', 'LEFT')
                  end
                  full = true
                  break
                end
                bytes = bytes + #message
                messages[#messages + 1] = message
              end
            end
            if not full and (not taken or #taken < wanted or redis.call('LLEN', lane(client)) == 0) then
              redis.call('LREM', KEYS[4], -1, client)
            end
          end
        end
        if #messages == 0 then
          return { deadline }
        end
        local leases = {}
        for i, message in ipairs(messages) do
          leases[2 * i - 1] = deadline
          leases[2 * i] = message
        end
        redis.call('ZADD', KEYS[2], unpack(leases))
        if (#messages == max or full) and (redis.call('LLEN', KEYS[4]) > 0 or redis.call('LLEN', KEYS[1]) > 0) then
          wake_one(KEYS[3])
        end
        return { deadline, unpack(messages) }
        """;

    /// <summary>
    /// KEYS: queue, idle, ready. ARGV: the waiter's channel, how long it will wait (ms). Returns 1 when jobs are waiting
    /// (do not wait: claim), otherwise registers the waiter until then, so that the next enqueue wakes it, and returns 0.
    /// The check and the registration are one step: no enqueue falls between them unseen.
    /// </summary>
    public const string Wait = Now + """
        if redis.call('LLEN', KEYS[3]) > 0 or redis.call('LLEN', KEYS[1]) > 0 then
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
    /// KEYS: queue, processing, known, dead, idle, ready. ARGV: message, job id, requeued message, error, final (1/0),
    /// client (<c>''</c> for none), dead letters kept. Returns 1 when the lease was held (otherwise the reclaimer has
    /// already requeued or dead-lettered the job). The requeued copy goes to the back of its client's lane.
    /// </summary>
    public const string Nack = Now + WakeOne + Lanes + BuryLetter + """
        if redis.call('ZREM', KEYS[2], ARGV[1]) == 0 then
          return 0
        end
        if ARGV[5] == '1' then
          bury(KEYS[4], '{"message":' .. ARGV[1] .. ',"error":' .. cjson.encode(ARGV[4]) .. ',"at":' .. string.format('%d', now) .. '}', ARGV[7])
          redis.call('SREM', KEYS[3], ARGV[2])
        else
          push(KEYS[6], ARGV[6], { ARGV[3] })
          wake_one(KEYS[5])
        end
        return 1
        """;

    /// <summary>
    /// KEYS: processing, known. ARGV: lease ms, then messages. Extends the leases still held (one ZMSCORE, one ZADD XX);
    /// returns { new deadline, the 1-based positions of the messages whose lease was lost... }. A lease was lost when its
    /// job is known under another delivery (reclaimed: queued again, or leased with its next attempt). One whose job
    /// Redis does not know at all lost its data (a flush, a crash inside the AOF window), not its lease: it is leased
    /// again to the worker still running it, so that the dispatcher, which sends jobs marked running that Redis does not
    /// know, leaves it to that worker.
    /// </summary>
    public const string Renew = Now + """
        local deadline = now + tonumber(ARGV[1])
        local messages = {}
        for i = 2, #ARGV do
          messages[#messages + 1] = ARGV[i]
        end
        local scores = redis.call('ZMSCORE', KEYS[1], unpack(messages))
        local result, leases, relet = { deadline }, {}, {}
        for i = 1, #messages do
          if scores[i] then
            leases[#leases + 1] = deadline
            leases[#leases + 1] = messages[i]
          else
            local ok, message = pcall(cjson.decode, messages[i])
            if ok and type(message) == 'table' and message.jobId and redis.call('SADD', KEYS[2], tostring(message.jobId)) == 1 then
              relet[#relet + 1] = deadline
              relet[#relet + 1] = messages[i]
            else
              result[#result + 1] = i
            end
          end
        end
        if #leases > 0 then
          redis.call('ZADD', KEYS[1], 'XX', unpack(leases))
        end
        if #relet > 0 then
          redis.call('ZADD', KEYS[1], unpack(relet))
        end
        return result
        """;

    /// <summary>
    /// KEYS: queue, processing, known, dead, idle, ready. ARGV: max attempts, limit, enqueued-at (ISO 8601), dead
    /// letters kept. Returns { requeued, dead-lettered, the dead-lettered messages... }. The requeued copy is the message
    /// with attempt + 1 and a new enqueuedAt, at the back of its client's lane.
    /// </summary>
    public const string Reclaim = Now + WakeOne + Lanes + BuryLetter + """
        local expired = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now, 'LIMIT', 0, tonumber(ARGV[2]))
        local maxAttempts = tonumber(ARGV[1])
        local requeued, dead = 0, 0
        local buried = {}
        local at = string.format('%d', now)
        for _, raw in ipairs(expired) do
          redis.call('ZREM', KEYS[2], raw)
          local ok, message = pcall(cjson.decode, raw)
          if not ok or type(message) ~= 'table' then
            bury(KEYS[4], '{"raw":' .. cjson.encode(raw) .. ',"error":"unreadable message","at":' .. at .. '}', ARGV[4])
            dead = dead + 1
          else
            local attempt = tonumber(message.attempt) or 1
            if attempt >= maxAttempts then
              local error = 'lease expired on attempt ' .. string.format('%d', attempt) .. ' of ' .. ARGV[1]
              bury(KEYS[4], '{"message":' .. raw .. ',"error":' .. cjson.encode(error) .. ',"at":' .. at .. '}', ARGV[4])
              redis.call('SREM', KEYS[3], tostring(message.jobId))
              dead = dead + 1
              buried[#buried + 1] = raw
            else
              message.attempt = attempt + 1
              message.enqueuedAt = ARGV[3]
              push(KEYS[6], client_of(message), { cjson.encode(message) })
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

    /// <summary>KEYS: queue, processing, dead, ready. One consistent snapshot; the waiting jobs of every lane.</summary>
    public const string Stats = Lanes + """
        local queued = redis.call('LLEN', KEYS[1])
        for _, client in ipairs(redis.call('LRANGE', KEYS[4], 0, -1)) do
          if client ~= '' then
            queued = queued + redis.call('LLEN', lane(client))
          end
        end
        return { queued, redis.call('ZCARD', KEYS[2]), redis.call('LLEN', KEYS[3]) }
        """;

    /// <summary>KEYS: processing, dead. ARGV: message, error, dead letters kept. Buries a claimed message the client cannot read.</summary>
    public const string Bury = Now + BuryLetter + """
        if redis.call('ZREM', KEYS[1], ARGV[1]) == 1 then
          bury(KEYS[2], '{"raw":' .. cjson.encode(ARGV[1]) .. ',"error":' .. cjson.encode(ARGV[2]) .. ',"at":' .. string.format('%d', now) .. '}', ARGV[3])
          return 1
        end
        return 0
        """;
}
