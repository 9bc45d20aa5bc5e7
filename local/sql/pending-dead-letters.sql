-- Dead letters not redriven yet, oldest first. $1: only these ids (or all),
-- $2: only this function (or all).
SELECT id::text, mapping_id, function_name, shard_id, batch_size, reason, payload
FROM local_runtime.dead_letters
WHERE redriven_at IS NULL
  AND ($1::bigint[] IS NULL OR id = ANY($1::bigint[]))
  AND ($2::text IS NULL OR function_name = $2)
ORDER BY dead_letters.id;
