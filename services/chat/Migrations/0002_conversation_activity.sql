-- Conversations are listed most recently active first (GET /chat/conversations): when each last changed, indexed.
ALTER TABLE chat_conversations ADD COLUMN updated_at timestamptz;

UPDATE chat_conversations c
SET updated_at = coalesce((SELECT max(m.created_at) FROM chat_messages m WHERE m.conversation_id = c.id), c.created_at);

ALTER TABLE chat_conversations ALTER COLUMN updated_at SET NOT NULL, ALTER COLUMN updated_at SET DEFAULT now();

CREATE INDEX chat_conversations_recent ON chat_conversations (updated_at DESC, id DESC);
