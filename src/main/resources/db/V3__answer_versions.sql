-- Earlier versions of an answer: Regenerate keeps the answer it replaces here, numbered from 1;
-- the message row always holds the newest version. Deleting the message deletes its versions.
CREATE TABLE answer_versions (
  message_id VARCHAR(36) NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
  version INT NOT NULL,
  content VARCHAR NOT NULL,
  reasoning VARCHAR,
  generation_id VARCHAR(36),
  state VARCHAR(16),
  error VARCHAR(2000),
  model VARCHAR(200),
  created_at BIGINT NOT NULL,
  PRIMARY KEY (message_id, version)
);
