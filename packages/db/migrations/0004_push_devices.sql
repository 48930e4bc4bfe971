CREATE TABLE "dataset_subscription" (
	"identity_id" text NOT NULL,
	"device_id" text NOT NULL,
	"dataset_name" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "dataset_subscription_identity_id_device_id_dataset_name_pk" PRIMARY KEY("identity_id","device_id","dataset_name")
);
--> statement-breakpoint
CREATE TABLE "device" (
	"identity_id" text NOT NULL,
	"id" text NOT NULL,
	"identity_pool_id" text NOT NULL,
	"platform" text NOT NULL,
	"token" text,
	"endpoint" text,
	"p256dh" text,
	"auth" text,
	"vapid_public_key" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_delivered_at" timestamp with time zone,
	"failures" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "device_identity_id_id_pk" PRIMARY KEY("identity_id","id")
);
--> statement-breakpoint
ALTER TABLE "dataset_subscription" ADD CONSTRAINT "dataset_subscription_identity_id_device_id_device_identity_id_id_fk" FOREIGN KEY ("identity_id","device_id") REFERENCES "public"."device"("identity_id","id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "device" ADD CONSTRAINT "device_identity_id_identity_id_fk" FOREIGN KEY ("identity_id") REFERENCES "public"."identity"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "dataset_subscription_dataset_idx" ON "dataset_subscription" USING btree ("identity_id","dataset_name");--> statement-breakpoint
CREATE UNIQUE INDEX "device_endpoint_unique" ON "device" USING btree ("endpoint") WHERE "device"."endpoint" is not null;