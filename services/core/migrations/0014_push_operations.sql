-- Where a write's operation id (phase 3 of a push stores it) and the provider's webhook about it
-- meet, whichever comes first. Phase 3 upserts attempt_id; a webhook that finds no attempt with its
-- operation id upserts its notice. The unique key makes the later of the two wait for the earlier
-- one's commit and see its row, so one of them always settles the write with the other's part:
-- never both (the row is deleted by whoever settles), never neither.
CREATE TABLE push_operations (
    operation_id text PRIMARY KEY,
    attempt_id   uuid,   -- phase 3 has stored the operation (push_attempts.id; no foreign key: no lock)
    notice       jsonb,  -- an early webhook's result: status, record_id, errors, message, data_type, raw
    webhook_id   text,   -- the delivery that brought it (webhook_deliveries, for the story)
    created_at   timestamptz NOT NULL DEFAULT now()
);
