-- 0001: tasks and their jobs (docs/queue.md "Schema"). States are the lower-case names of TaskState and JobState.

CREATE TABLE tasks (
    id              uuid        PRIMARY KEY,
    status          text        NOT NULL CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
    goal            text        NULL,
    idempotency_key text        NULL,
    trace_id        text        NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT tasks_idempotency_key_key UNIQUE (idempotency_key)
);

-- The task list: newest first, all or by status.
CREATE INDEX tasks_created_at_idx ON tasks (created_at DESC, id DESC);
CREATE INDEX tasks_status_created_at_idx ON tasks (status, created_at DESC, id DESC);

CREATE TABLE jobs (
    id           uuid        PRIMARY KEY,
    task_id      uuid        NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    seq          integer     NOT NULL CHECK (seq >= 0),
    type         text        NOT NULL,
    input        text        NOT NULL,
    status       text        NOT NULL CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'dead', 'cancelled')),
    attempts     integer     NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    result       text        NULL,
    error        text        NULL,
    trace_parent text        NULL,
    enqueued_at  timestamptz NULL,
    started_at   timestamptz NULL,
    finished_at  timestamptz NULL,
    -- Also the index on task_id: a task's jobs in order, and the roll-up's count per task.
    CONSTRAINT jobs_task_id_seq_key UNIQUE (task_id, seq)
);

-- The dispatcher's question, "queued and never enqueued, or enqueued long ago", oldest first: a small partial index,
-- since only queued jobs are in it (status is the predicate, so it need not be a column).
CREATE INDEX jobs_queued_enqueued_at_idx ON jobs (enqueued_at NULLS FIRST, task_id, seq) WHERE status = 'queued';
