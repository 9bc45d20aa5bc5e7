-- With IAM authentication straight to Aurora (database.proxy=false): the role
-- the pipeline functions log in as. rds_iam makes Aurora take an IAM token
-- instead of a password for it; it may read and write the pipeline's tables
-- (and those later migrations create), nothing more. Idempotent.
-- Run after SELECT set_config('pricestream.app_user', <role>, false) on the same connection.
DO $$
DECLARE
  app text := current_setting('pricestream.app_user');
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = app) THEN
    EXECUTE format('CREATE ROLE %I LOGIN', app);
  END IF;
  EXECUTE format('GRANT rds_iam TO %I', app);
  EXECUTE format('GRANT USAGE ON SCHEMA silver, gold TO %I', app);
  EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA silver, gold TO %I', app);
  EXECUTE format('GRANT SELECT ON ALL TABLES IN SCHEMA public TO %I', app);
  EXECUTE format('GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA silver, gold TO %I', app);
  EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA silver, gold GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO %I', app);
  EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA silver, gold GRANT USAGE, SELECT ON SEQUENCES TO %I', app);
END
$$;
