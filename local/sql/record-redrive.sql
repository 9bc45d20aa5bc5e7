-- $2: whether the redrive delivered every record; $3: why not.
UPDATE local_runtime.dead_letters
SET redrive_attempts = redrive_attempts + 1,
    redriven_at = CASE WHEN $2 THEN now() ELSE redriven_at END,
    redrive_error = $3
WHERE id = $1::bigint;
