-- 0005: the client a task was submitted for (docs/queue.md, "Fair share between clients"), so that the dispatcher
-- re-sends a task's unsent jobs into that client's lane rather than the shared one. Null for a task of no client
-- (a caller without the gateway, tasks stored before this migration). A nullable column without a default changes only
-- the catalog: no row is rewritten and the lock is held for a moment.
ALTER TABLE tasks ADD COLUMN client text NULL;
