import { CreateStreamCommand, DescribeStreamSummaryCommand } from '@aws-sdk/client-kinesis';
import { describe, expect, inject, it } from 'vitest';
import { createKinesisClient } from '../../lambdas/shared/kinesis-client.ts';
import { freshDatabase } from '../support/db.ts';

describe('test services', () => {
  it('runs a real PostgreSQL', async () => {
    const { pool } = await freshDatabase('services');
    const { rows } = await pool.query<{ v: string }>(
      "SELECT current_setting('server_version') AS v",
    );
    await pool.end();
    expect(rows[0]?.v).toMatch(/^\d+\.\d+/);
  });

  it('runs a real kinesis-local', async () => {
    const kinesis = createKinesisClient({ endpoint: inject('kinesisEndpoint') });
    await kinesis.send(new CreateStreamCommand({ StreamName: 'services-check', ShardCount: 2 }));
    const summary = await kinesis.send(
      new DescribeStreamSummaryCommand({ StreamName: 'services-check' }),
    );
    expect(summary.StreamDescriptionSummary?.OpenShardCount).toBe(2);
  });
});
