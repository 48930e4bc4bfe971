-- NOTIFY inside the write transaction serialises every commit on PostgreSQL's global notify
-- lock (held through the WAL flush), which cost a third of write throughput. Changes are now
-- announced after commit by the writing process (ChangeFeed), coalesced per event-loop turn.
DROP TRIGGER IF EXISTS change_log_notify ON change_log;
--> statement-breakpoint
DROP FUNCTION IF EXISTS tandem_notify_change();
