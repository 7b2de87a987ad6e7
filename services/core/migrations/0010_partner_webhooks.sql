-- Partner webhooks (Monite-compatible): subscriptions, the events they are fed from, one
-- delivery per event and subscription (retried with backoff), and every attempt of it.
CREATE TABLE partner_webhook_subscriptions (
    id          uuid PRIMARY KEY,
    partner_id  uuid NOT NULL REFERENCES partners(id),
    object_type text NOT NULL,
    event_types text[] NOT NULL DEFAULT '{}',   -- empty: every event of the object type
    url         text NOT NULL,
    status      text NOT NULL DEFAULT 'enabled' CHECK (status IN ('enabled', 'disabled')),
    secret      text NOT NULL,                  -- needed in clear to sign; never returned by GET
    api_version text,                           -- X-Monite-Version of the create call
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX partner_webhook_subscriptions_created ON partner_webhook_subscriptions (partner_id, created_at, id);
CREATE INDEX partner_webhook_subscriptions_updated ON partner_webhook_subscriptions (partner_id, updated_at, id);

-- Events as partners see them (GET /v1/events); id is the outbox CloudEvent's id.
CREATE TABLE partner_events (
    id           uuid PRIMARY KEY,
    entity_id    uuid NOT NULL,
    partner_id   uuid NOT NULL,
    object_type  text NOT NULL,
    action       text NOT NULL,                 -- <object_type>.<event>
    object_id    uuid,
    connection_id uuid,                         -- the order of occurrence is kept per connection
    description  text NOT NULL,
    object       jsonb,
    created_at   timestamptz NOT NULL,          -- when the change was committed (the event's time)
    received_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX partner_events_entity_created ON partner_events (entity_id, created_at, id);
CREATE INDEX partner_events_received ON partner_events (received_at);

CREATE TABLE partner_webhook_deliveries (
    id                  uuid PRIMARY KEY,
    event_id            uuid NOT NULL REFERENCES partner_events(id) ON DELETE CASCADE,
    subscription_id     uuid NOT NULL,          -- no FK: the log outlives a deleted subscription
    entity_id           uuid NOT NULL,
    object_type         text NOT NULL,
    action              text NOT NULL,
    ordering_key        text NOT NULL,          -- one in flight per (subscription, key), oldest first
    occurred_at         timestamptz NOT NULL,
    url                 text NOT NULL,          -- the URL of the last attempt
    status              text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
    requests_made_count integer NOT NULL DEFAULT 0,
    next_attempt_at     timestamptz NOT NULL DEFAULT now(),
    leased_until        timestamptz,            -- set while a worker is sending it
    give_up_at          timestamptz NOT NULL,
    response_status_code integer,
    response            text,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    UNIQUE (event_id, subscription_id)
);
CREATE INDEX partner_webhook_deliveries_due ON partner_webhook_deliveries (subscription_id, next_attempt_at)
    WHERE status = 'pending';
CREATE INDEX partner_webhook_deliveries_order ON partner_webhook_deliveries
    (subscription_id, ordering_key, occurred_at, id) WHERE status = 'pending';
CREATE INDEX partner_webhook_deliveries_entity_created ON partner_webhook_deliveries (entity_id, created_at, id);
CREATE INDEX partner_webhook_deliveries_entity_updated ON partner_webhook_deliveries (entity_id, updated_at, id);
CREATE INDEX partner_webhook_deliveries_failed ON partner_webhook_deliveries (subscription_id, occurred_at)
    WHERE status = 'failed';

CREATE TABLE partner_webhook_attempts (
    delivery_id uuid NOT NULL REFERENCES partner_webhook_deliveries(id) ON DELETE CASCADE,
    attempt     integer NOT NULL,
    started_at  timestamptz NOT NULL,
    duration_ms integer NOT NULL,
    url         text NOT NULL,
    status_code integer,
    error       text,
    PRIMARY KEY (delivery_id, attempt)
);
