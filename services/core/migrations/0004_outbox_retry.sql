-- An outbox row the broker refuses (no route, channel trouble) is retried later, and does not
-- hold up the rows behind it.
ALTER TABLE outbox
    ADD COLUMN attempts        integer NOT NULL DEFAULT 0,
    ADD COLUMN last_error      text,
    ADD COLUMN next_attempt_at timestamptz;
