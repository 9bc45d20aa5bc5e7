/**
 * Every AWS client a function creates gives up on a silent server: a loopback
 * server that accepts the connection and never answers (what a VPC without a
 * route, or a hung endpoint, looks like from the function), with short limits.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSecretsClient } from '../../lambdas/shared/db.ts';
import { createKinesisClient } from '../../lambdas/shared/kinesis-client.ts';

const LAMBDAS = fileURLToPath(new URL('../../lambdas/', import.meta.url));

let silent: net.Server;
let endpoint: string;
const sockets = new Set<net.Socket>();

beforeAll(async () => {
  silent = net.createServer((socket) => {
    sockets.add(socket); // accepted, never answered
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(silent.address() as net.AddressInfo).port}`;
});
afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await new Promise<void>((resolve) => silent.close(() => resolve()));
});

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const file = path.join(dir, name);
    return statSync(file).isDirectory() ? sourceFiles(file) : file.endsWith('.ts') ? [file] : [];
  });
}

describe('AWS clients of the functions', () => {
  it('Secrets Manager fails on a silent server after its attempts, not at the function timeout', async () => {
    const client = createSecretsClient({ endpoint, requestTimeoutMs: 200, maxAttempts: 2 });
    const started = Date.now();

    await expect(
      client.send(new GetSecretValueCommand({ SecretId: 'arn:aws:secretsmanager:x' })),
    ).rejects.toMatchObject({ name: 'TimeoutError' });
    expect(Date.now() - started).toBeLessThan(5_000);
    client.destroy();
  });

  it('Kinesis too', async () => {
    const client = createKinesisClient({ endpoint, requestTimeoutMs: 200, maxAttempts: 1 });
    const { ListStreamsCommand } = await import('@aws-sdk/client-kinesis');

    await expect(client.send(new ListStreamsCommand({}))).rejects.toMatchObject({
      name: 'TimeoutError',
    });
    client.destroy();
  });

  it('are all built with awsClientConfig (its timeouts), wherever lambdas/ creates one', () => {
    const constructions = sourceFiles(LAMBDAS).flatMap((file) => {
      const text = readFileSync(file, 'utf8');
      return [...text.matchAll(/new (\w+Client)\(\{([\s\S]*?)\n {2}\}\)/g)]
        .filter(([, name]) => name !== 'ExplainingClient')
        .map(([, name, body]) => ({ file: path.relative(LAMBDAS, file), name, body: body ?? '' }));
    });

    expect(constructions.map((c) => c.name).sort()).toEqual([
      'KinesisClient',
      'SecretsManagerClient',
      'TimestreamWriteClient',
    ]);
    for (const c of constructions)
      expect(c.body, `${c.file} ${c.name}`).toContain('awsClientConfig(');
  });
});
