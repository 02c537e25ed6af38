-- 0007: what each owner (API key) stores, against the orchestrator's Tasks:MaxStoredBytesPerKey (docs/api.md,
-- "Storage quota"). A task reserves at submit what it can grow to (tasks.stored_bytes: its goal, its inputs and the
-- most its jobs' results can add) and retention gives it back, so that the results' hot path writes nothing here.
-- Each submit writes its orchestrator's quota with the sum, and the CHECK refuses the statement that would pass it (0:
-- no quota). Tasks stored before this migration count nothing. A constant default changes only the catalog.
ALTER TABLE tasks ADD COLUMN stored_bytes bigint NOT NULL DEFAULT 0;
CREATE TABLE owner_storage (
    owner text PRIMARY KEY,
    bytes bigint NOT NULL,
    quota bigint NOT NULL,
    CONSTRAINT owner_storage_within_quota CHECK (quota = 0 OR bytes <= quota)
);
