/**
 * The fault suite's producer: numbered valid price events and poison
 * records, at a steady rate, onto the stream. What Kinesis acknowledged is
 * written down; what it refused is sent again (through kinesis-local
 * restarts too) until acknowledged.
 */
import { type KinesisClient, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { encodePriceEvent, type PriceEvent } from '../../lambdas/shared/price-event.ts';
import { mulberry32 } from '../../lambdas/shared/sources/sim.ts';

export const CHAOS_PREFIX = 'sim:CHAOS:';
export const POISON_MARK = 'chaos-poison-';
const SYMBOLS = ['BTC-USD', 'ETH-USD', 'SOL-USD', 'ADA-USD', 'DOGE-USD'];
const PUT_LIMIT = 500;

export interface Produced {
  /** Acknowledged valid events by event id. */
  valid: Set<string>;
  /** Acknowledged poison records by number. */
  poison: Set<number>;
  /** PutRecords calls that failed as a whole (kinesis-local down) and were sent again. */
  failedCalls: number;
  /** Entries Kinesis refused (throttling) and that were sent again. */
  refusedEntries: number;
}

interface Pending {
  key: string;
  data: Buffer;
  valid?: string;
  poison?: number;
}

/** The n-th record: a valid event, or (every `poisonEvery`-th) poison. */
export function chaosRecord(n: number, poisonEvery: number, random: () => number): Pending {
  const symbol = SYMBOLS[n % SYMBOLS.length] as string;
  if (poisonEvery > 0 && n % poisonEvery === poisonEvery - 1) {
    const mark = `${POISON_MARK}${n}`;
    const kinds = [
      Buffer.from(`${mark} is not JSON`),
      Buffer.from(JSON.stringify({ v: 1, eventId: mark, source: 'sim', symbol, price: -1 })),
      Buffer.from(JSON.stringify({ v: 9, eventId: mark })),
    ];
    return { key: symbol, data: kinds[n % kinds.length] as Buffer, poison: n };
  }
  const now = new Date().toISOString();
  const [base, quote] = symbol.split('-') as [string, string];
  const event: PriceEvent = {
    v: 1,
    eventId: `${CHAOS_PREFIX}${n}`,
    source: 'sim',
    symbol,
    base,
    quote,
    price: Math.round((100 + random() * 10) * 100) / 100,
    bid: null,
    ask: null,
    volume24h: null,
    tradeId: n,
    eventTime: now,
    fetchedAt: now,
  };
  return { key: symbol, data: encodePriceEvent(event), valid: event.eventId };
}

/**
 * Puts `total` records at `rate` a second. Resolves when every one was
 * acknowledged (or `signal` aborts, with what was acknowledged so far).
 */
export async function produce(options: {
  kinesis: KinesisClient;
  streamName: string;
  total: number;
  poisonEvery: number;
  rate: number;
  seed: number;
  signal?: AbortSignal;
  onProgress?: (acknowledged: number) => void;
}): Promise<Produced> {
  const random = mulberry32(options.seed + 1);
  const produced: Produced = {
    valid: new Set(),
    poison: new Set(),
    failedCalls: 0,
    refusedEntries: 0,
  };
  const queue: Pending[] = [];
  const started = Date.now();
  let next = 0;
  let acknowledged = 0;
  while (acknowledged < options.total && !options.signal?.aborted) {
    // Records due by now join the queue, whether or not Kinesis keeps up.
    const due = Math.min(options.total, Math.floor(((Date.now() - started) / 1000) * options.rate));
    while (next < due) queue.push(chaosRecord(next++, options.poisonEvery, random));
    if (queue.length === 0) {
      await sleep(Math.max(5, Math.min(200, 1000 / options.rate)));
      continue;
    }
    const batch = queue.splice(0, PUT_LIMIT);
    try {
      const out = await options.kinesis.send(
        new PutRecordsCommand({
          StreamName: options.streamName,
          Records: batch.map((r) => ({ PartitionKey: r.key, Data: r.data })),
        }),
      );
      const again: Pending[] = [];
      batch.forEach((record, i) => {
        const result = out.Records?.[i];
        if (!result?.SequenceNumber || result.ErrorCode) {
          produced.refusedEntries++;
          again.push(record);
          return;
        }
        acknowledged++;
        if (record.valid) produced.valid.add(record.valid);
        if (record.poison !== undefined) produced.poison.add(record.poison);
      });
      queue.unshift(...again);
      options.onProgress?.(acknowledged);
    } catch {
      produced.failedCalls++;
      queue.unshift(...batch);
      await sleep(500);
    }
  }
  return produced;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
