CREATE TABLE "aws_developer_key" (
	"access_key_id" text PRIMARY KEY NOT NULL,
	"identity_pool_id" text NOT NULL,
	"name" text NOT NULL,
	"sealed_secret" text NOT NULL,
	"created_by" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_used_at" timestamp with time zone,
	"revoked_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "aws_seen_signature" (
	"signature" text PRIMARY KEY NOT NULL,
	"expires_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "aws_developer_key" ADD CONSTRAINT "aws_developer_key_identity_pool_id_identity_pool_id_fk" FOREIGN KEY ("identity_pool_id") REFERENCES "public"."identity_pool"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "aws_developer_key_pool_idx" ON "aws_developer_key" USING btree ("identity_pool_id","created_at");--> statement-breakpoint
CREATE INDEX "aws_seen_signature_expires_idx" ON "aws_seen_signature" USING btree ("expires_at");