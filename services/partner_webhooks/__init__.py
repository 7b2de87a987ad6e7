"""Partner webhooks, Monite-compatible: subscriptions, signed deliveries from the outbox events
(retried with backoff, logged, replayable), and the events list partners recover from."""
