-- The operator console: operators, their sessions, login attempts (rate limit across
-- replicas), the actions they took; and what a record's story needs that was not kept.

CREATE TABLE operators (
    id            uuid PRIMARY KEY,
    name          text NOT NULL UNIQUE,
    role          text NOT NULL CHECK (role IN ('viewer', 'admin')),
    password_hash text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now()
);

-- A session cookie names one row (signed); logout deletes it, expiry ends it.
CREATE TABLE operator_sessions (
    id          text PRIMARY KEY,
    operator_id uuid NOT NULL REFERENCES operators(id) ON DELETE CASCADE,
    csrf_token  text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL
);
CREATE INDEX operator_sessions_expiry ON operator_sessions (expires_at);

CREATE TABLE operator_login_attempts (
    id           bigserial PRIMARY KEY,
    name         text NOT NULL,
    remote       text NOT NULL,
    succeeded    boolean NOT NULL,
    attempted_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX operator_login_attempts_name ON operator_login_attempts (name, attempted_at);
CREATE INDEX operator_login_attempts_remote ON operator_login_attempts (remote, attempted_at);

CREATE TABLE operator_actions (
    id       bigserial PRIMARY KEY,
    operator text NOT NULL,
    action   text NOT NULL,
    target   text NOT NULL,
    outcome  text NOT NULL,
    ok       boolean NOT NULL,
    at       timestamptz NOT NULL DEFAULT now()
);

-- A record's story: every status change and every provider webhook about it, in order.
CREATE TABLE synced_record_history (
    id          bigserial PRIMARY KEY,
    record_id   uuid NOT NULL REFERENCES synced_records(id),
    kind        text NOT NULL CHECK (kind IN ('status', 'webhook')),
    detail      jsonb NOT NULL,
    at          timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX synced_record_history_record ON synced_record_history (record_id, id);

-- Each answer the provider gave about a write (accepted, pending, settled), in order.
ALTER TABLE push_attempts ADD COLUMN answers jsonb NOT NULL DEFAULT '[]'::jsonb;
CREATE INDEX push_attempts_requested ON push_attempts (requested_at);

-- The domain events themselves, findable by the object they are about.
ALTER TABLE inbox
    ADD COLUMN object_id uuid,
    ADD COLUMN body      jsonb;
CREATE INDEX inbox_object ON inbox (object_id) WHERE object_id IS NOT NULL;

-- The overview's oldest pending record.
CREATE INDEX synced_records_pending ON synced_records (updated_at) WHERE sync_status = 'pending';
