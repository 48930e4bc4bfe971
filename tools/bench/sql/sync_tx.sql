\set ident random(1, :identities)
\set k random(1, :records)
BEGIN;
SELECT sync_count FROM rec WHERE identity_id = :ident AND dataset = 'd' AND key = :k FOR UPDATE;
UPDATE rec SET value = md5(random()::text), sync_count = sync_count + 1
  WHERE identity_id = :ident AND dataset = 'd' AND key = :k;
UPDATE ds SET sync_count = sync_count + 1 WHERE identity_id = :ident AND dataset = 'd';
INSERT INTO outbox(identity_id, dataset, payload) VALUES (:ident, 'd', '{"k":1}');
COMMIT;
