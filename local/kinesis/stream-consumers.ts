/**
 * Registers a template's AWS::Kinesis::StreamConsumer in Kinesis, as
 * CloudFormation would, and returns its real ARN: kinesis-local (like AWS)
 * ends the ARN with the registration time, which the template cannot know.
 */
import {
  DescribeStreamConsumerCommand,
  type KinesisClient,
  RegisterStreamConsumerCommand,
} from '@aws-sdk/client-kinesis';
import { sleep } from '../shared/backoff.ts';

/** Registers `consumerName` on the stream unless it is already, then waits until it is ACTIVE. */
export async function ensureStreamConsumer(
  kinesis: KinesisClient,
  streamArn: string,
  consumerName: string,
  options: { signal?: AbortSignal; timeoutMs?: number } = {},
): Promise<string> {
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  if (!(await describe(kinesis, streamArn, consumerName))) {
    try {
      await kinesis.send(
        new RegisterStreamConsumerCommand({ StreamARN: streamArn, ConsumerName: consumerName }),
      );
    } catch (error) {
      // Registered meanwhile (another runtime on the same Kinesis).
      if ((error as Error).name !== 'ResourceInUseException') throw error;
    }
  }
  for (;;) {
    const consumer = await describe(kinesis, streamArn, consumerName);
    if (consumer?.ConsumerStatus === 'ACTIVE' && consumer.ConsumerARN) return consumer.ConsumerARN;
    if (Date.now() > deadline) {
      throw new Error(
        `stream consumer ${consumerName} is not ACTIVE after ${options.timeoutMs ?? 30_000} ms ` +
          `(${consumer?.ConsumerStatus ?? 'missing'})`,
      );
    }
    await sleep(100, options.signal);
  }
}

async function describe(kinesis: KinesisClient, streamArn: string, consumerName: string) {
  try {
    const result = await kinesis.send(
      new DescribeStreamConsumerCommand({ StreamARN: streamArn, ConsumerName: consumerName }),
    );
    return result.ConsumerDescription;
  } catch (error) {
    if ((error as Error).name === 'ResourceNotFoundException') return undefined;
    throw error;
  }
}
