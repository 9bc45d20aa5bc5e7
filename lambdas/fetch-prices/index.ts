import { createKinesisClient } from '../shared/kinesis-client.ts';
import { createMetrics } from '../shared/metrics.ts';
import { publishPriceEvents } from '../shared/publish.ts';
import { readFetchConfig } from './config.ts';
import { createHandler, createSource, logger } from './handler.ts';

// Cold start: configuration, client, source and metrics once per environment.
const config = readFetchConfig();
const kinesis = createKinesisClient();
const source = createSource(config, (reason) =>
  logger.warn(`Coinbase unreachable (${reason}): falling back to the simulated market`, {
    fallback: 'sim',
  }),
);

export const handler = createHandler(config, {
  source,
  publish: (events) => publishPriceEvents(kinesis, config.streamName, events),
  metrics: createMetrics('fetch-prices'),
});
