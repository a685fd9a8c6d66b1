-- One schema for H2 and PostgreSQL: portable types only, times as epoch milliseconds.
CREATE TABLE conversations (
  id VARCHAR(36) PRIMARY KEY,
  owner VARCHAR(64) NOT NULL,
  title VARCHAR(200) NOT NULL,
  model VARCHAR(200) NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE INDEX conversations_owner_updated ON conversations (owner, updated_at);

CREATE TABLE messages (
  id VARCHAR(36) PRIMARY KEY,
  conversation_id VARCHAR(36) NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
  seq INT NOT NULL,
  role VARCHAR(16) NOT NULL,
  content VARCHAR NOT NULL,
  reasoning VARCHAR,
  generation_id VARCHAR(36),
  state VARCHAR(16),
  error VARCHAR(2000),
  model VARCHAR(200),
  created_at BIGINT NOT NULL,
  UNIQUE (conversation_id, seq)
);
CREATE INDEX messages_generation ON messages (generation_id);
