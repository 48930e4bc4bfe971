CREATE TABLE "change_log_consumer" (
	"name" text PRIMARY KEY NOT NULL,
	"checkpoint_tx_id" "xid8" DEFAULT '0'::xid8 NOT NULL,
	"checkpoint_id" bigint DEFAULT 0 NOT NULL,
	"holder" text,
	"lease_expires_at" timestamp with time zone,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE INDEX "change_log_tx_idx" ON "change_log" USING btree ("tx_id","id");