-- The push pipeline: mirrored documents, push attempts, waiting records.

CREATE TABLE documents (
    id                uuid PRIMARY KEY,
    entity_id         uuid NOT NULL REFERENCES entities(id),
    kind              text NOT NULL CHECK (kind IN ('receivable', 'credit_note', 'bill', 'payment_record')),
    status            text,
    data              jsonb NOT NULL,
    source_updated_at timestamptz NOT NULL,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX documents_entity ON documents (entity_id, kind);

ALTER TABLE synced_records
    ADD COLUMN push_generation integer NOT NULL DEFAULT 0,
    ADD COLUMN waiting_for uuid REFERENCES synced_records(id);   -- a dependency still in flight
CREATE INDEX synced_records_waiting ON synced_records (waiting_for) WHERE waiting_for IS NOT NULL;

-- One row per logical push (record, generation); the idempotency key is stored before the call.
CREATE TABLE push_attempts (
    id              uuid PRIMARY KEY,
    record_id       uuid NOT NULL REFERENCES synced_records(id),
    generation      integer NOT NULL,
    idempotency_key uuid NOT NULL UNIQUE,
    data_type       text NOT NULL,
    operation_id    text UNIQUE,
    status          text NOT NULL CHECK (status IN ('sending', 'pending', 'success', 'failed', 'timed_out')),
    errors          jsonb,
    requested_at    timestamptz NOT NULL DEFAULT now(),
    checked_at      timestamptz NOT NULL DEFAULT now(),  -- last time the scheduler looked at it
    completed_at    timestamptz,
    UNIQUE (record_id, generation)
);
CREATE INDEX push_attempts_open ON push_attempts (checked_at) WHERE status IN ('sending', 'pending');
