-- The concurrent provider calls one company may have in flight, shared by every replica:
-- one row per slot (1..cap); a process leases a slot (holder, expires_at) before a call and
-- gives it back after. A lease outlives a crashed holder only until expires_at.
CREATE TABLE provider_call_slots (
    company_id  text NOT NULL,
    slot        integer NOT NULL,
    holder      uuid,
    expires_at  timestamptz,
    PRIMARY KEY (company_id, slot)
);

-- Pushes waiting out a provider's rate limit on their connection (its throttled_until): parked
-- here instead of circling through the retry queues, released a few per connection at a time
-- once the pause is over, so a throttled tenant's backlog never stands in another's way.
CREATE TABLE parked_pushes (
    record_id      uuid PRIMARY KEY REFERENCES synced_records(id) ON DELETE CASCADE,
    connection_id  uuid NOT NULL REFERENCES accounting_connections(id) ON DELETE CASCADE,
    generation     integer NOT NULL,
    parked_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX parked_pushes_connection ON parked_pushes (connection_id, parked_at);
