-- Deliveries are written by the status change itself (in its transaction), where the retry window
-- is not known: NULL means "PARTNER_WEBHOOK_RETRY_FOR after created_at", applied by the sender.
-- A replay still sets an explicit give_up_at (a fresh window from the replay).
ALTER TABLE partner_webhook_deliveries ALTER COLUMN give_up_at DROP NOT NULL;
