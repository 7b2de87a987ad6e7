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
