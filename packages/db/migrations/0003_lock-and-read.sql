-- UpdateRecords' first step in one round trip: lock the dataset row, then read the patched
-- records. The read is a second statement of this VOLATILE function, so it takes a fresh
-- snapshot after the lock was granted and sees every write committed before it; doing both in
-- one plain statement would read records from a snapshot older than the lock (a lost update).
-- No row: the dataset does not exist yet (the caller takes the creation path).
CREATE OR REPLACE FUNCTION tandem_lock_dataset_and_read(p_identity text, p_dataset text, p_keys text[])
RETURNS TABLE (
  dataset_exists boolean,
  sync_count bigint,
  num_records integer,
  data_storage bigint,
  record_keys text[],
  record_values text[],
  record_sync_counts bigint[]
) LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  d record;
BEGIN
  SELECT ds.exists, ds.sync_count, ds.num_records, ds.data_storage INTO d
    FROM dataset ds WHERE ds.identity_id = p_identity AND ds.name = p_dataset FOR UPDATE;
  IF NOT FOUND THEN
    RETURN;
  END IF;
  RETURN QUERY
    SELECT d.exists, d.sync_count, d.num_records, d.data_storage,
           coalesce(array_agg(r.key), '{}'), coalesce(array_agg(r.value), '{}'),
           coalesce(array_agg(r.sync_count), '{}')
      FROM record r
     WHERE r.identity_id = p_identity AND r.dataset_name = p_dataset AND r.key = ANY(p_keys);
END;
$$;
