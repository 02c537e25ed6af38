-- 0006: the API key a task was submitted with (docs/api.md, "Each key sees its own tasks and conversations"). A
-- request the gateway sent sees only its key's tasks, so the list needs them by owner, newest first, all or by
-- status; an idempotency key is unique per owner. '' for a task of no owner (a caller inside the cluster, tasks
-- stored before this migration): a constant default changes only the catalog, but the three indexes are built under
-- the table's lock, so task writes and reads wait for them (1.4 s at 300,000 tasks on the 2-core machine; retention
-- keeps 30 days' worth). The lock itself waits 10 s at most behind a long transaction, then the migration fails with
-- nothing applied (start it again). Orchestrators of the version before cannot store a task once it is applied (their
-- ON CONFLICT names the dropped constraint; those requests are 500s): replace them right after migrating.
SET LOCAL lock_timeout = '10s';
ALTER TABLE tasks ADD COLUMN owner text NOT NULL DEFAULT '';
ALTER TABLE tasks DROP CONSTRAINT tasks_idempotency_key_key;
ALTER TABLE tasks ADD CONSTRAINT tasks_owner_idempotency_key_key UNIQUE (owner, idempotency_key);
-- A list by status without an owner (inside the cluster only) walks tasks_created_at_idx instead.
DROP INDEX tasks_status_created_at_idx;
CREATE INDEX tasks_owner_created_at_idx ON tasks (owner, created_at DESC, id DESC);
CREATE INDEX tasks_owner_status_created_at_idx ON tasks (owner, status, created_at DESC, id DESC);
