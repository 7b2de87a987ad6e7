-- A retried write re-sends exactly the body first sent with its idempotency key.
ALTER TABLE push_attempts ADD COLUMN body jsonb;
