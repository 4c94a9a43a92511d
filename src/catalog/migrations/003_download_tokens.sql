-- Up Migration
-- Download tokens shared by the instances: minted through one, used once through any. Keyed by the SHA-256 of
-- the token (the token itself is never stored); times in ms since the epoch, as the service counts them.
CREATE TABLE download_tokens (
  digest text PRIMARY KEY,
  view text NOT NULL,
  expires_at bigint NOT NULL,
  -- Kept until then (a TTL after its expiry) so a refusal can say "used" or "expired", then deleted.
  forget_at bigint NOT NULL,
  used boolean NOT NULL DEFAULT false
);
CREATE INDEX download_tokens_forget ON download_tokens (forget_at);

-- Down Migration
DROP TABLE download_tokens;
