/**
 * The benchmark's second process: the load generator and the floor
 * measurements run here, so neither shares an event loop (or a CPU figure)
 * with the local runtime under test. Driven over IPC by agent-client.ts.
 */
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { createKinesisClient } from '../lambdas/shared/kinesis-client.ts';
import { measureKinesisFloor, measurePostgresFloor, measureReaderFloor } from './floors.ts';
import { generateLoad, type LoadRequest } from './load.ts';

export type AgentRequest =
  | { kind: 'load'; endpoint: string; load: LoadRequest }
  | { kind: 'kinesisFloor'; endpoint: string; samples: number; intervalMs: number }
  | { kind: 'readerFloor'; endpoint: string; records: number; shards: number; symbols: string[] }
  | { kind: 'postgresFloor'; databaseUrl: string; samples: number };

export type AgentMessage = { id: number; request: AgentRequest };
export type AgentReply = { id: number } & (
  | { ok: true; result: unknown }
  | { ok: false; error: string }
);

const clients = new Map<string, KinesisClient>();
const kinesis = (endpoint: string) => {
  let client = clients.get(endpoint);
  if (!client) {
    client = createKinesisClient({ endpoint, region: 'us-east-1' });
    clients.set(endpoint, client);
  }
  return client;
};

function handle(request: AgentRequest): Promise<unknown> {
  switch (request.kind) {
    case 'load':
      return generateLoad(kinesis(request.endpoint), request.load);
    case 'kinesisFloor':
      return measureKinesisFloor(kinesis(request.endpoint), request);
    case 'readerFloor':
      return measureReaderFloor(kinesis(request.endpoint), request);
    case 'postgresFloor':
      return measurePostgresFloor(request.databaseUrl, request);
  }
}

process.on('message', (message: AgentMessage) => {
  handle(message.request).then(
    (result) => process.send?.({ id: message.id, ok: true, result } satisfies AgentReply),
    (error: unknown) =>
      process.send?.({
        id: message.id,
        ok: false,
        error: error instanceof Error ? (error.stack ?? error.message) : String(error),
      } satisfies AgentReply),
  );
});
// The parent going away ends the agent too.
process.on('disconnect', () => process.exit(0));
