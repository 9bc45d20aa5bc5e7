-- The read-only role the reports function logs in as (the CloudWatch
-- dashboard's custom widgets, npm run compare -- --aws): it may read the
-- pipeline's tables and views, and its sessions are read-only by default.
-- With rds_iam (on Aurora) it logs in with an IAM token, no password exists.
-- Idempotent. Run after SELECT set_config('pricestream.reader', <role>, false)
-- on the same connection.
DO $$
DECLARE
  reader text := current_setting('pricestream.reader');
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = reader) THEN
    EXECUTE format('CREATE ROLE %I LOGIN', reader);
  END IF;
  IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'rds_iam') THEN
    EXECUTE format('GRANT rds_iam TO %I', reader);
  END IF;
  EXECUTE format('ALTER ROLE %I SET default_transaction_read_only = on', reader);
  EXECUTE format('GRANT USAGE ON SCHEMA silver, gold TO %I', reader);
  EXECUTE format('GRANT SELECT ON ALL TABLES IN SCHEMA silver, gold, public TO %I', reader);
  EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA silver, gold, public GRANT SELECT ON TABLES TO %I', reader);
END
$$;
