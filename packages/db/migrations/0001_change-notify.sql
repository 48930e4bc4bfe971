-- Wake listeners (live channel, worker, push) when a change commits. NOTIFY is delivered at
-- commit, so a rolled-back write never pokes anyone. The payload matches CommittedChange.
CREATE OR REPLACE FUNCTION tandem_notify_change() RETURNS trigger AS $$
BEGIN
  PERFORM pg_notify('tandem_change', json_build_object(
    'changeId', NEW.id,
    'identityPoolId', NEW.identity_pool_id,
    'identityId', NEW.identity_id,
    'datasetName', NEW.dataset_name,
    'syncCount', NEW.sync_count,
    'kind', NEW.kind,
    'deviceId', NEW.device_id
  )::text);
  RETURN NULL;
END;
$$ LANGUAGE plpgsql;
--> statement-breakpoint
CREATE TRIGGER change_log_notify AFTER INSERT ON change_log
  FOR EACH ROW EXECUTE FUNCTION tandem_notify_change();
