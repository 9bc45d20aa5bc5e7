/**
 * Shard checkpoints in PostgreSQL, so a restart resumes right after the last
 * record a mapping fully processed.
 */
import type pg from 'pg';
import { localSql } from '../shared/local-sql.ts';

export type Checkpoint =
  | { kind: 'sequence'; sequenceNumber: string }
  | { kind: 'timestamp'; timestamp: Date }
  | { kind: 'finished' };

interface Row {
  shard_id: string;
  stream_created_at: Date | null;
  sequence_number: string | null;
  at_timestamp: Date | null;
  shard_finished: boolean;
}

export class CheckpointStore {
  constructor(private readonly db: Pick<pg.Pool, 'query'>) {}

  /**
   * The mapping's checkpoints by shard. Rows written for another incarnation
   * of the stream (different creation time) are ignored.
   */
  async load(
    mappingId: string,
    streamCreatedAt: Date | undefined,
  ): Promise<Map<string, Checkpoint>> {
    const { rows } = await this.db.query<Row>(localSql('load-checkpoints'), [mappingId]);
    const checkpoints = new Map<string, Checkpoint>();
    for (const row of rows) {
      if (
        streamCreatedAt &&
        row.stream_created_at &&
        row.stream_created_at.getTime() !== streamCreatedAt.getTime()
      ) {
        continue;
      }
      if (row.shard_finished) checkpoints.set(row.shard_id, { kind: 'finished' });
      else if (row.sequence_number) {
        checkpoints.set(row.shard_id, { kind: 'sequence', sequenceNumber: row.sequence_number });
      } else if (row.at_timestamp) {
        checkpoints.set(row.shard_id, { kind: 'timestamp', timestamp: row.at_timestamp });
      }
    }
    return checkpoints;
  }

  async save(
    key: {
      mappingId: string;
      shardId: string;
      streamArn: string;
      streamCreatedAt: Date | undefined;
    },
    checkpoint: Checkpoint,
  ): Promise<void> {
    await this.db.query(localSql('save-checkpoint'), [
      key.mappingId,
      key.shardId,
      key.streamArn,
      key.streamCreatedAt ?? null,
      checkpoint.kind === 'sequence' ? checkpoint.sequenceNumber : null,
      checkpoint.kind === 'timestamp' ? checkpoint.timestamp : null,
      checkpoint.kind === 'finished',
    ]);
  }
}
