-- Up Migration
-- The instances sharing this catalog and DATA_DIR, each touching its row every few seconds. An instance whose
-- heartbeat is old (or whose pid is gone on the host that checks) owns nothing any more: start-up clean-up may
-- remove what it staged.
CREATE TABLE instances (
  id text PRIMARY KEY,
  host text NOT NULL,
  pid integer NOT NULL,
  started_at timestamptz NOT NULL DEFAULT now(),
  heartbeat_at timestamptz NOT NULL DEFAULT now()
);

-- Down Migration
DROP TABLE instances;
