-- A consent link that expires (Railz's sites links live 5 days) is renewed when its pending
-- connection is read after this moment; NULL: the link does not expire (Codat's Hosted Link).
ALTER TABLE accounting_connections ADD COLUMN IF NOT EXISTS connection_url_expires_at timestamptz;
