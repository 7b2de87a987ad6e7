-- Pulled datasets, the partner's mirrored objects, synced records.

-- What the accounting system holds (one row per provider record, per connection).
CREATE TABLE provider_records (
    id            uuid PRIMARY KEY,          -- stable: uuid5(connection, data type, provider id)
    connection_id uuid NOT NULL REFERENCES accounting_connections(id),
    entity_id     uuid NOT NULL REFERENCES entities(id),
    data_type     text NOT NULL,             -- Codat list name: accounts, taxRates, customers, ...
    provider_id   text NOT NULL,
    name          text,                      -- for sorting and matching
    data          jsonb NOT NULL,
    is_deleted    boolean NOT NULL DEFAULT false,
    modified_at   timestamptz,
    pulled_at     timestamptz NOT NULL DEFAULT now(),
    UNIQUE (connection_id, data_type, provider_id)
);
CREATE INDEX provider_records_by_name ON provider_records (connection_id, data_type, name, id);

-- The partner's own objects, mirrored from domain events (event-carried state).
CREATE TABLE counterparts (
    id                uuid PRIMARY KEY,
    entity_id         uuid NOT NULL REFERENCES entities(id),
    type              text,
    name              text NOT NULL,
    is_customer       boolean NOT NULL DEFAULT false,
    is_vendor         boolean NOT NULL DEFAULT false,
    email             text,
    country           text,
    city              text,
    postal_code       text,
    line1             text,
    line2             text,
    data              jsonb NOT NULL,
    source_updated_at timestamptz NOT NULL,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX counterparts_entity ON counterparts (entity_id);

CREATE TABLE products (
    id                uuid PRIMARY KEY,
    entity_id         uuid NOT NULL REFERENCES entities(id),
    name              text NOT NULL,
    origin            text NOT NULL DEFAULT 'partner' CHECK (origin IN ('partner', 'discovered')),
    data              jsonb NOT NULL,
    source_updated_at timestamptz,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX products_entity ON products (entity_id);

CREATE TABLE synced_records (
    id                  uuid PRIMARY KEY,
    entity_id           uuid NOT NULL REFERENCES entities(id),
    connection_id       uuid NOT NULL REFERENCES accounting_connections(id),
    object_type         text NOT NULL CHECK (object_type IN
        ('customer', 'vendor', 'product', 'receivable', 'credit_note', 'bill', 'payment_record')),
    object_id           uuid NOT NULL,
    sync_status         text NOT NULL CHECK (sync_status IN ('pending', 'error', 'done')),
    errors              jsonb,
    provider            text NOT NULL,
    platform            text,
    provider_object_id  text,
    provider_updated_at timestamptz,
    platform_object_id  text,
    platform_updated_at timestamptz,
    object_updated_at   timestamptz,
    last_pulled_at      timestamptz NOT NULL DEFAULT now(),
    created_at          timestamptz NOT NULL DEFAULT clock_timestamp(),
    updated_at          timestamptz NOT NULL DEFAULT clock_timestamp(),
    UNIQUE (connection_id, object_type, object_id)
);
-- keyset pagination of the list API, per sort field
CREATE INDEX synced_records_created ON synced_records (entity_id, object_type, created_at, id);
CREATE INDEX synced_records_updated ON synced_records (entity_id, object_type, updated_at, id);
CREATE INDEX synced_records_object ON synced_records (entity_id, object_id);
