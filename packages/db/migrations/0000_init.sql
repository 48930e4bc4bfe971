CREATE TABLE "account" (
	"id" text PRIMARY KEY NOT NULL,
	"account_id" text NOT NULL,
	"provider_id" text NOT NULL,
	"user_id" text NOT NULL,
	"access_token" text,
	"refresh_token" text,
	"id_token" text,
	"access_token_expires_at" timestamp,
	"refresh_token_expires_at" timestamp,
	"scope" text,
	"password" text,
	"created_at" timestamp DEFAULT now() NOT NULL,
	"updated_at" timestamp NOT NULL
);
--> statement-breakpoint
CREATE TABLE "session" (
	"id" text PRIMARY KEY NOT NULL,
	"expires_at" timestamp NOT NULL,
	"token" text NOT NULL,
	"created_at" timestamp DEFAULT now() NOT NULL,
	"updated_at" timestamp NOT NULL,
	"ip_address" text,
	"user_agent" text,
	"user_id" text NOT NULL,
	"impersonated_by" text,
	CONSTRAINT "session_token_unique" UNIQUE("token")
);
--> statement-breakpoint
CREATE TABLE "user" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"email" text NOT NULL,
	"email_verified" boolean DEFAULT false NOT NULL,
	"image" text,
	"created_at" timestamp DEFAULT now() NOT NULL,
	"updated_at" timestamp DEFAULT now() NOT NULL,
	"is_anonymous" boolean DEFAULT false,
	"role" text,
	"banned" boolean DEFAULT false,
	"ban_reason" text,
	"ban_expires" timestamp,
	CONSTRAINT "user_email_unique" UNIQUE("email")
);
--> statement-breakpoint
CREATE TABLE "verification" (
	"id" text PRIMARY KEY NOT NULL,
	"identifier" text NOT NULL,
	"value" text NOT NULL,
	"expires_at" timestamp NOT NULL,
	"created_at" timestamp DEFAULT now() NOT NULL,
	"updated_at" timestamp DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "change_log" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"tx_id" "xid8" DEFAULT pg_current_xact_id() NOT NULL,
	"identity_pool_id" text NOT NULL,
	"identity_id" text NOT NULL,
	"dataset_name" text NOT NULL,
	"sync_count" bigint NOT NULL,
	"kind" text NOT NULL,
	"records" jsonb NOT NULL,
	"last_modified_by" text,
	"device_id" text,
	"source" text NOT NULL,
	"committed_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "dataset" (
	"identity_id" text NOT NULL,
	"name" text NOT NULL,
	"identity_pool_id" text NOT NULL,
	"exists" boolean DEFAULT true NOT NULL,
	"sync_count" bigint DEFAULT 0 NOT NULL,
	"deleted_at_sync_count" bigint,
	"num_records" integer DEFAULT 0 NOT NULL,
	"data_storage" bigint DEFAULT 0 NOT NULL,
	"merged_from_identity_id" text,
	"creation_date" timestamp with time zone DEFAULT now() NOT NULL,
	"last_modified_date" timestamp with time zone DEFAULT now() NOT NULL,
	"last_modified_by" text,
	CONSTRAINT "dataset_identity_id_name_pk" PRIMARY KEY("identity_id","name")
);
--> statement-breakpoint
CREATE TABLE "record" (
	"identity_id" text NOT NULL,
	"dataset_name" text NOT NULL,
	"key" text NOT NULL,
	"value" text,
	"sync_count" bigint NOT NULL,
	"last_modified_date" timestamp with time zone NOT NULL,
	"last_modified_by" text,
	"device_last_modified_date" timestamp with time zone,
	CONSTRAINT "record_identity_id_dataset_name_key_pk" PRIMARY KEY("identity_id","dataset_name","key")
);
--> statement-breakpoint
CREATE TABLE "identity" (
	"id" text PRIMARY KEY NOT NULL,
	"identity_pool_id" text NOT NULL,
	"user_id" text,
	"authenticated" boolean NOT NULL,
	"merged_into" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_modified_date" timestamp with time zone,
	CONSTRAINT "identity_pool_user_unique" UNIQUE("identity_pool_id","user_id")
);
--> statement-breakpoint
CREATE TABLE "identity_pool" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"allow_unauthenticated" boolean DEFAULT true NOT NULL,
	"config" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"config_version" integer DEFAULT 0 NOT NULL,
	"sync_sessions_count" bigint DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_modified_date" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "account" ADD CONSTRAINT "account_user_id_user_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."user"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "session" ADD CONSTRAINT "session_user_id_user_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."user"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "dataset" ADD CONSTRAINT "dataset_identity_id_identity_id_fk" FOREIGN KEY ("identity_id") REFERENCES "public"."identity"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "record" ADD CONSTRAINT "record_identity_id_dataset_name_dataset_identity_id_name_fk" FOREIGN KEY ("identity_id","dataset_name") REFERENCES "public"."dataset"("identity_id","name") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "identity" ADD CONSTRAINT "identity_identity_pool_id_identity_pool_id_fk" FOREIGN KEY ("identity_pool_id") REFERENCES "public"."identity_pool"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "account_userId_idx" ON "account" USING btree ("user_id");--> statement-breakpoint
CREATE INDEX "session_userId_idx" ON "session" USING btree ("user_id");--> statement-breakpoint
CREATE INDEX "verification_identifier_idx" ON "verification" USING btree ("identifier");--> statement-breakpoint
CREATE INDEX "change_log_dataset_idx" ON "change_log" USING btree ("identity_id","dataset_name","sync_count");--> statement-breakpoint
CREATE INDEX "dataset_pool_idx" ON "dataset" USING btree ("identity_pool_id");--> statement-breakpoint
CREATE INDEX "record_pull_idx" ON "record" USING btree ("identity_id","dataset_name","sync_count","key");--> statement-breakpoint
CREATE INDEX "identity_pool_idx" ON "identity" USING btree ("identity_pool_id","id");