CREATE TABLE "stream_record" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"identity_pool_id" text NOT NULL,
	"dedupe_key" text NOT NULL,
	"record" jsonb NOT NULL,
	"published_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "bulk_publish" ADD COLUMN "cursor_identity_id" text;--> statement-breakpoint
ALTER TABLE "bulk_publish" ADD COLUMN "cursor_dataset_name" text;--> statement-breakpoint
ALTER TABLE "bulk_publish" ADD COLUMN "holder" text;--> statement-breakpoint
ALTER TABLE "bulk_publish" ADD COLUMN "lease_expires_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "stream_record" ADD CONSTRAINT "stream_record_identity_pool_id_identity_pool_id_fk" FOREIGN KEY ("identity_pool_id") REFERENCES "public"."identity_pool"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "stream_record_dedupe_unique" ON "stream_record" USING btree ("identity_pool_id","dedupe_key");--> statement-breakpoint
CREATE INDEX "stream_record_pool_idx" ON "stream_record" USING btree ("identity_pool_id","id");--> statement-breakpoint
CREATE INDEX "stream_record_published_idx" ON "stream_record" USING btree ("published_at");--> statement-breakpoint
CREATE INDEX "change_log_pool_tx_idx" ON "change_log" USING btree ("identity_pool_id","tx_id","id");--> statement-breakpoint
CREATE INDEX "dataset_pool_identity_idx" ON "dataset" USING btree ("identity_pool_id","identity_id","name");