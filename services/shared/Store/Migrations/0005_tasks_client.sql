-- 0005: the client a task was submitted for (docs/queue.md, "Fair share between clients"), so that the dispatcher
-- re-sends a task's unsent jobs into that client's lane rather than the shared one. Null for a task of no client
-- (a caller without the gateway, tasks stored before this migration). A nullable column without a default changes only
-- the catalog, no row is rewritten, but it needs the table's exclusive lock: behind a long transaction on tasks it
-- would wait, and every task write and read would queue behind it. So it waits 10 s at most, then fails with nothing
-- applied (the migrator says to start it again; the orchestrator's migrate Job retries).
SET LOCAL lock_timeout = '10s';
ALTER TABLE tasks ADD COLUMN client text NULL;
