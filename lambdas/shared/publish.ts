import { type KinesisClient, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { encodePriceEvent, type PriceEvent } from './price-event.ts';

export interface PublishResult {
  sent: number;
  /** Events still failed after every attempt, with Kinesis's last error code. */
  failed: Array<{ event: PriceEvent; errorCode: string }>;
  attempts: number;
}

export interface PublishOptions {
  maxAttempts?: number;
  backoffMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

/**
 * PutRecords with the symbol as partition key. PutRecords is not atomic: it
 * reports failed entries (throttling, internal errors) one by one, and only
 * those are sent again. A re-sent event keeps its event id, so consumers
 * store it once even if an "failed" entry had in fact landed.
 */
export async function publishPriceEvents(
  kinesis: Pick<KinesisClient, 'send'>,
  streamName: string,
  events: PriceEvent[],
  options: PublishOptions = {},
): Promise<PublishResult> {
  const maxAttempts = options.maxAttempts ?? 4;
  const backoffMs = options.backoffMs ?? 100;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  let pending = events.map((event) => ({ event, errorCode: 'NotSent' }));
  let sent = 0;
  let attempts = 0;
  while (pending.length > 0 && attempts < maxAttempts) {
    if (attempts > 0) await sleep(backoffMs * 2 ** (attempts - 1));
    attempts++;
    try {
      const out = await kinesis.send(
        new PutRecordsCommand({
          StreamName: streamName,
          Records: pending.map(({ event }) => ({
            PartitionKey: event.symbol,
            Data: encodePriceEvent(event),
          })),
        }),
      );
      const results = out.Records ?? [];
      const again: typeof pending = [];
      pending.forEach((entry, i) => {
        const result = results[i];
        if (result?.SequenceNumber && !result.ErrorCode) sent++;
        else again.push({ event: entry.event, errorCode: result?.ErrorCode ?? 'NoResult' });
      });
      pending = again;
    } catch (error) {
      // The whole call failed (after the SDK's own retries): try it all again.
      const code = (error as Error).name || 'Error';
      pending = pending.map(({ event }) => ({ event, errorCode: code }));
    }
  }
  return { sent, failed: pending, attempts };
}
