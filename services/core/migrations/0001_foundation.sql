-- Partners, entities, connections, sync runs, inbox, outbox.
CREATE TABLE partners (
    id                 uuid PRIMARY KEY,
    name               text NOT NULL,
    client_id          text NOT NULL UNIQUE,
    client_secret_hash text NOT NULL,
    created_at         timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE revoked_tokens (
    jti        uuid PRIMARY KEY,
    expires_at timestamptz NOT NULL
);

CREATE TABLE entities (
    id                  uuid PRIMARY KEY,
    partner_id          uuid NOT NULL REFERENCES partners(id),
    name                text NOT NULL,
    base_currency       text,
    accounting_settings jsonb NOT NULL DEFAULT '{}'::jsonb,
    provider_company_id text,             -- one provider company per entity, reused on reconnect
    source_updated_at   timestamptz,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX entities_partner ON entities (partner_id);

CREATE TABLE accounting_connections (
    id                     uuid PRIMARY KEY,
    entity_id              uuid NOT NULL REFERENCES entities(id),
    provider               text NOT NULL,
    provider_company_id    text,
    provider_connection_id text,
    status                 text NOT NULL
        CHECK (status IN ('pending_auth', 'connected', 'disconnected', 'deauthorized')),
    platform               text,
    connection_url         text NOT NULL DEFAULT '',
    business_info          jsonb,
    errors                 jsonb,
    last_pull              timestamptz,
    connected_at           timestamptz,
    throttled_until        timestamptz,
    created_at             timestamptz NOT NULL DEFAULT now(),
    updated_at             timestamptz NOT NULL DEFAULT now()
);
-- At most one pending_auth or connected connection per entity.
CREATE UNIQUE INDEX accounting_connections_one_active
    ON accounting_connections (entity_id) WHERE status IN ('pending_auth', 'connected');
CREATE INDEX accounting_connections_entity ON accounting_connections (entity_id, created_at);
CREATE INDEX accounting_connections_company ON accounting_connections (provider, provider_company_id);

CREATE TABLE sync_runs (
    id            uuid PRIMARY KEY,
    connection_id uuid NOT NULL REFERENCES accounting_connections(id),
    entity_id     uuid NOT NULL REFERENCES entities(id),
    trigger       text NOT NULL,          -- api | schedule | connected | webhook | data_pulls
    status        text NOT NULL CHECK (status IN ('running', 'completed', 'failed')),
    stats         jsonb NOT NULL DEFAULT '{}'::jsonb,
    error         text,
    started_at    timestamptz NOT NULL DEFAULT now(),
    finished_at   timestamptz
);
-- A sync already running is not started twice.
CREATE UNIQUE INDEX sync_runs_one_running ON sync_runs (connection_id) WHERE status = 'running';
CREATE INDEX sync_runs_connection ON sync_runs (connection_id, started_at DESC);

-- Inbox: every consumed message id, written in the transaction of its effect.
CREATE TABLE inbox (
    source       text NOT NULL,          -- 'domain' | 'webhook:codat' | ...
    message_id   text NOT NULL,
    message_type text NOT NULL,
    processed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (source, message_id)
);

-- Provider webhook deliveries, stored once by the receiver before they are queued.
CREATE TABLE webhook_deliveries (
    provider     text NOT NULL,
    webhook_id   text NOT NULL,
    event_type   text NOT NULL,
    body         jsonb NOT NULL,
    received_at  timestamptz NOT NULL DEFAULT now(),
    processed_at timestamptz,
    outcome      text,
    PRIMARY KEY (provider, webhook_id)
);

-- Outbox: messages to publish after commit (own events and follow-up commands).
CREATE TABLE outbox (
    id           bigserial PRIMARY KEY,
    exchange     text NOT NULL,
    routing_key  text NOT NULL,
    message_id   text NOT NULL,
    body         jsonb NOT NULL,
    headers      jsonb NOT NULL DEFAULT '{}'::jsonb,
    created_at   timestamptz NOT NULL DEFAULT now(),
    published_at timestamptz
);
CREATE INDEX outbox_unpublished ON outbox (id) WHERE published_at IS NULL;
