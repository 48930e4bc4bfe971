CREATE TABLE "bulk_publish" (
	"identity_pool_id" text PRIMARY KEY NOT NULL,
	"status" text NOT NULL,
	"started_at" timestamp with time zone NOT NULL,
	"completed_at" timestamp with time zone,
	"failure_message" text,
	"progress_done" integer,
	"progress_total" integer
);
--> statement-breakpoint
CREATE TABLE "identity_pool_settings" (
	"identity_pool_id" text PRIMARY KEY NOT NULL,
	"push_enabled" boolean DEFAULT false NOT NULL,
	"push_notification" jsonb,
	"streams" jsonb,
	"streams_health" jsonb DEFAULT '{"status":"not-running","backlog":null,"lastError":null,"checkedAt":null}'::jsonb NOT NULL,
	"sync_trigger" jsonb,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "setup_lock" (
	"name" text PRIMARY KEY NOT NULL,
	"holder" text NOT NULL,
	"expires_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "vapid_key" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"identity_pool_id" text NOT NULL,
	"public_key" text NOT NULL,
	"private_key_sealed" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"retired_at" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "bulk_publish" ADD CONSTRAINT "bulk_publish_identity_pool_id_identity_pool_id_fk" FOREIGN KEY ("identity_pool_id") REFERENCES "public"."identity_pool"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "identity_pool_settings" ADD CONSTRAINT "identity_pool_settings_identity_pool_id_identity_pool_id_fk" FOREIGN KEY ("identity_pool_id") REFERENCES "public"."identity_pool"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "vapid_key" ADD CONSTRAINT "vapid_key_identity_pool_id_identity_pool_id_fk" FOREIGN KEY ("identity_pool_id") REFERENCES "public"."identity_pool"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "vapid_key_current_unique" ON "vapid_key" USING btree ("identity_pool_id") WHERE "vapid_key"."retired_at" is null;--> statement-breakpoint
CREATE INDEX "vapid_key_pool_idx" ON "vapid_key" USING btree ("identity_pool_id","created_at");--> statement-breakpoint
CREATE INDEX "change_log_pool_time_idx" ON "change_log" USING btree ("identity_pool_id","committed_at");