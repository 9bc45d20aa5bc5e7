/**
 * Shard checkpoints in PostgreSQL, so a restart resumes right after the last
 * record a mapping fully processed.
 */
import type pg from 'pg';
import { type Clock, systemClock } from '../../lambdas/shared/clock.ts';
import { localSql } from '../shared/local-sql.ts';

export type Checkpoint =
  /**
   * After this record. Its arrival time is where to start again if the
   * stream no longer has it (kinesis-local restored from a save that is
   * older than the checkpoint, or the record expired).
   */
  | { kind: 'sequence'; sequenceNumber: string; arrivedAt?: Date | undefined }
  /** A LATEST start that has seen no record yet: from this time. */
  | { kind: 'timestamp'; timestamp: Date }
  /**
   * The shard is closed and read to the end. `readRecords`: the mapping
   * delivered records from it; `startedAt`: when a LATEST start began on it.
   * Its children start from these (see event-source-mapping.ts).
   */
  | { kind: 'finished'; readRecords?: boolean; startedAt?: Date | undefined };

interface Row {
  shard_id: string;
  stream_created_at: Date | null;
  sequence_number: string | null;
  arrived_at: Date | null;
  at_timestamp: Date | null;
  shard_finished: boolean;
}

export class CheckpointStore {
  constructor(
    private readonly db: Pick<pg.Pool, 'query'>,
    /** Stamps each save (updated_at): the runtime's clock. */
    private readonly clock: Clock = systemClock,
  ) {}

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
      if (row.shard_finished) {
        checkpoints.set(row.shard_id, {
          kind: 'finished',
          readRecords: row.sequence_number !== null,
          startedAt: row.at_timestamp ?? undefined,
        });
      } else if (row.sequence_number) {
        checkpoints.set(row.shard_id, {
          kind: 'sequence',
          sequenceNumber: row.sequence_number,
          arrivedAt: row.arrived_at ?? undefined,
        });
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
      checkpoint.kind === 'sequence' ? (checkpoint.arrivedAt ?? null) : null,
      new Date(this.clock()),
    ]);
  }
}
