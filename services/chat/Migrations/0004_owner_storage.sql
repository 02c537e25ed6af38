-- 0004: what each API key's conversations hold, against Chat:MaxStoredBytesPerKey (docs/api.md, "Storage quota"):
-- every stored message's text in UTF-8 bytes, added by the statement that stores it (the CHECK refuses one that would
-- pass the quota; 0: no quota) and given back by retention with its conversation (stored_bytes). What a caller inside
-- the cluster stores (the worker's llm jobs: their tasks count it) counts against no key. Conversations stored before
-- this migration count nothing. A constant default changes only the catalog.
ALTER TABLE chat_conversations ADD COLUMN stored_bytes bigint NOT NULL DEFAULT 0;
CREATE TABLE chat_owner_storage (
    owner text PRIMARY KEY,
    bytes bigint NOT NULL,
    quota bigint NOT NULL,
    CONSTRAINT chat_owner_storage_within_quota CHECK (quota = 0 OR bytes <= quota)
);
