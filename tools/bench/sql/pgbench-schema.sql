-- Sync-like schema for the B_pg baseline (perf-reliability.md Appendix 1):
-- :identities identities × 1 dataset × :records records. Run with psql -v identities=… -v records=…
CREATE TABLE ds(identity_id int, dataset text, sync_count bigint default 0, PRIMARY KEY(identity_id, dataset));
CREATE TABLE rec(identity_id int, dataset text, key int, value text, sync_count bigint default 0,
                 PRIMARY KEY(identity_id, dataset, key));
CREATE TABLE outbox(id bigserial primary key, identity_id int, dataset text, payload jsonb,
                    created_at timestamptz default now());
INSERT INTO ds SELECT i,'d',0 FROM generate_series(1,:identities) i;
INSERT INTO rec SELECT i,'d',k,md5(k::text),0 FROM generate_series(1,:identities) i, generate_series(1,:records) k;
VACUUM ANALYZE;
