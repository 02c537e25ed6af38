-- The API key a conversation was started with (docs/api.md, "Each key sees its own tasks and conversations"): a
-- request the gateway sent finds only its key's conversations, so the list needs them by owner, most recently active
-- first. '' for none (a caller inside the cluster, conversations stored before this migration); the worker's llm jobs
-- start theirs as 'worker' from now on. A constant default changes only the catalog, but the index is built under the
-- table's lock, so chat's reads and writes wait for it (0.9 s at 300,000 conversations on the 2-core machine; the
-- worker starts one per llm job, and none is ever deleted). The lock itself waits 10 s at most behind a long
-- transaction, then the migration fails with nothing applied (start it again).
SET LOCAL lock_timeout = '10s';
ALTER TABLE chat_conversations ADD COLUMN owner text NOT NULL DEFAULT '';

CREATE INDEX chat_conversations_owner_recent ON chat_conversations (owner, updated_at DESC, id DESC);
