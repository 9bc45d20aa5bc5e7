/**
 * The KinesisStreamEvent a function receives, built exactly as Lambda's
 * event source mapping builds it.
 */
import type { KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';

/** A record read from a shard, before it becomes part of an event. */
export interface ShardRecord {
  shardId: string;
  sequenceNumber: string;
  partitionKey: string;
  data: Uint8Array;
  approximateArrivalTimestamp: Date;
}

export interface EventSourceIdentity {
  eventSourceArn: string;
  awsRegion: string;
  /** The function's execution role. */
  invokeIdentityArn: string;
}

/** Lambda's limit on a synchronous invocation's payload. */
export const MAX_PAYLOAD_BYTES = 6 * 1024 * 1024;
const ENVELOPE_BYTES = '{"Records":[]}'.length;

export function toEventRecord(
  record: ShardRecord,
  source: EventSourceIdentity,
): KinesisStreamRecord {
  return {
    kinesis: {
      kinesisSchemaVersion: '1.0',
      partitionKey: record.partitionKey,
      sequenceNumber: record.sequenceNumber,
      data: Buffer.from(record.data).toString('base64'),
      approximateArrivalTimestamp: record.approximateArrivalTimestamp.getTime() / 1000,
    },
    eventSource: 'aws:kinesis',
    eventVersion: '1.0',
    eventID: `${record.shardId}:${record.sequenceNumber}`,
    eventName: 'aws:kinesis:record',
    invokeIdentityArn: source.invokeIdentityArn,
    awsRegion: source.awsRegion,
    eventSourceARN: source.eventSourceArn,
  };
}

export function toKinesisEvent(
  records: readonly ShardRecord[],
  source: EventSourceIdentity,
): KinesisStreamEvent {
  return { Records: records.map((record) => toEventRecord(record, source)) };
}

/** Bytes `record` adds to an event's JSON, separator included. */
export function eventRecordBytes(record: ShardRecord, source: EventSourceIdentity): number {
  return Buffer.byteLength(JSON.stringify(toEventRecord(record, source))) + 1;
}

export function eventEnvelopeBytes(): number {
  return ENVELOPE_BYTES;
}
