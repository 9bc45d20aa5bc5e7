import { NodeHttpHandler } from '@smithy/node-http-handler';

/**
 * What every AWS SDK client a function creates is given: a connect timeout,
 * a request timeout that fails the request (the SDK otherwise only warns and
 * waits on), and a bounded number of attempts. A missing route (a function in
 * subnets that do not reach the service) then fails in seconds, not at the
 * function's timeout.
 */
export interface AwsClientLimits {
  /** TCP and TLS connect, ms. Default 2,000. */
  connectionTimeoutMs?: number;
  /** No answer for this long fails the request, ms. Default 5,000. */
  requestTimeoutMs?: number;
  /** Attempts per call, the first included. Default 3. */
  maxAttempts?: number;
  /** Keep-alive sockets shared by concurrent calls. Default the SDK's. */
  maxSockets?: number;
}

export function awsClientConfig(limits: AwsClientLimits = {}) {
  return {
    maxAttempts: limits.maxAttempts ?? 3,
    requestHandler: new NodeHttpHandler({
      connectionTimeout: limits.connectionTimeoutMs ?? 2_000,
      requestTimeout: limits.requestTimeoutMs ?? 5_000,
      throwOnRequestTimeout: true,
      ...(limits.maxSockets
        ? { httpAgent: { keepAlive: true, maxSockets: limits.maxSockets } }
        : {}),
    }),
  };
}
