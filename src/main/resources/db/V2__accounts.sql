-- Accounts (issue 18). Same portable subset as V1: one file for H2 and PostgreSQL.
-- owner is what conversations.owner holds for the account ('user:' + id); an anonymous session's
-- owner is a SHA-256 hex of its cookie, so the two can never clash.
CREATE TABLE users (
  id VARCHAR(36) PRIMARY KEY,
  username VARCHAR(100) NOT NULL UNIQUE,
  owner VARCHAR(64) NOT NULL UNIQUE,
  password_hash VARCHAR(200),
  disabled BOOLEAN NOT NULL,
  created_at BIGINT NOT NULL,
  last_seen_at BIGINT NOT NULL
);

-- A signed-in browser: the SHA-256 of its session cookie, never the cookie.
CREATE TABLE user_sessions (
  id_hash VARCHAR(64) PRIMARY KEY,
  user_id VARCHAR(36) NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  created_at BIGINT NOT NULL,
  last_seen_at BIGINT NOT NULL,
  user_agent VARCHAR(200),
  address VARCHAR(64)
);
CREATE INDEX user_sessions_user ON user_sessions (user_id);

-- Personal API tokens: only the SHA-256 of the token is kept.
CREATE TABLE api_tokens (
  id VARCHAR(36) PRIMARY KEY,
  user_id VARCHAR(36) NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  name VARCHAR(100) NOT NULL,
  token_hash VARCHAR(64) NOT NULL UNIQUE,
  created_at BIGINT NOT NULL,
  last_used_at BIGINT
);
CREATE INDEX api_tokens_user ON api_tokens (user_id);

-- Invite links made on the admin page: the SHA-256 of the code, single use.
CREATE TABLE invites (
  code_hash VARCHAR(64) PRIMARY KEY,
  created_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  used_by VARCHAR(36)
);
