/**
 * Lambda's Invoke API on 127.0.0.1, answered by the running runtime, so the
 * AWS CLI (`aws lambda invoke --endpoint-url http://127.0.0.1:3001 …`) and the
 * SDK's LambdaClient work against it as against Lambda:
 *
 *   POST /2015-03-31/functions/{FunctionName}/invocations[?Qualifier=$LATEST]
 *     X-Amz-Invocation-Type: RequestResponse (default) | Event | DryRun
 *     X-Amz-Log-Type: None | Tail
 *
 * RequestResponse answers 200 with the function's result, or its error with
 * X-Amz-Function-Error: Unhandled, and with Tail the last 4 KB of the
 * invocation's log, base64, in X-Amz-Log-Result; Event answers 202 and runs
 * the function in the background; DryRun answers 204. Everything else gets
 * Lambda's error shape: `x-amzn-ErrorType` and `{"Type","Message"}`.
 *
 * Only this machine: the server listens on 127.0.0.1, answers only to its own
 * Host (a page cannot reach it through a DNS name that resolves here) and
 * refuses requests a browser made (they carry an Origin header; the AWS CLI
 * and SDKs send none).
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { InvocationRecord } from './lambda-host.ts';

/** SAM's `sam local start-lambda` default, next to the dashboard's 3000. */
export const DEFAULT_LAMBDA_API_PORT = 3001;
export const LAMBDA_API_PORT_VARIABLE = 'PRICESTREAM_LAMBDA_PORT';

/** PRICESTREAM_LAMBDA_PORT, or 3001. */
export function lambdaApiPortFromEnv(
  env: Record<string, string | undefined> = process.env,
): number {
  const raw = env[LAMBDA_API_PORT_VARIABLE];
  if (raw === undefined || raw.trim() === '') return DEFAULT_LAMBDA_API_PORT;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65_535) {
    throw new Error(
      `${LAMBDA_API_PORT_VARIABLE} must be a port number, got ${JSON.stringify(raw)}`,
    );
  }
  return port;
}

/** Lambda's payload limits: 6 MB synchronous, 1 MB asynchronous. */
const SYNC_LIMIT = 6 * 1024 * 1024;
const ASYNC_LIMIT = 1024 * 1024;
/** LogType Tail returns the last 4 KB of the log. */
const TAIL_BYTES = 4096;

/** What the API needs of a running runtime. */
export interface InvokeTarget {
  region: string;
  account: string;
  /** The function an Invoke names (name, ARN, partial ARN; qualifier in the name or `qualifier`). */
  findFunction(
    ref: string,
    qualifier: string | undefined,
  ):
    | {
        name: string;
        functionName: string;
        arn: string;
        hosted: boolean;
        notHostedBecause: string | undefined;
      }
    | undefined;
  invokeWithLog(name: string, event: unknown): Promise<InvocationRecord>;
  /** Fire and forget (InvocationType Event); failures are reported by the runtime. */
  invokeAsync(name: string, event: unknown): { requestId: string };
}

export interface InvokeApi {
  readonly url: string;
  readonly port: number;
  /** Starts answering invocations (before: 503, the runtime is starting). */
  attach(target: InvokeTarget): void;
  close(): Promise<void>;
}

export class PortInUseError extends Error {
  override name = 'PortInUseError';
}

const ROUTE = /^\/2015-03-31\/functions\/([^/]+)\/invocations\/?$/;

export async function startInvokeApi(options: { port: number }): Promise<InvokeApi> {
  let target: InvokeTarget | undefined;
  let port = options.port;

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const requestId = randomUUID();
    const fail = (status: number, type: string, message: string, kind = 'User') =>
      sendError(res, requestId, status, type, message, kind);
    const host = req.headers.host ?? '';
    if (host !== `127.0.0.1:${port}` && host !== `localhost:${port}`) {
      return fail(
        403,
        'AccessDeniedException',
        `this API answers only as 127.0.0.1:${port}, not ${JSON.stringify(host)}`,
      );
    }
    if (req.headers.origin !== undefined) {
      return fail(403, 'AccessDeniedException', 'requests from web pages are refused');
    }
    const url = new URL(req.url ?? '/', `http://${host}`);
    const route = ROUTE.exec(url.pathname);
    if (!route || req.method !== 'POST') {
      return fail(
        404,
        'UnknownOperationException',
        `${req.method} ${url.pathname} is not an operation of this local Lambda API, which serves Invoke only (POST /2015-03-31/functions/{FunctionName}/invocations)`,
      );
    }
    if (!target) {
      return fail(503, 'ServiceException', 'the local runtime is still starting', 'Service');
    }
    const invocationType = headerValue(req, 'x-amz-invocation-type') ?? 'RequestResponse';
    if (!['RequestResponse', 'Event', 'DryRun'].includes(invocationType)) {
      return fail(
        400,
        'ValidationException',
        `1 validation error detected: Value '${invocationType}' at 'invocationType' failed to satisfy constraint: Member must satisfy enum value set: [Event, RequestResponse, DryRun]`,
      );
    }
    const logType = headerValue(req, 'x-amz-log-type') ?? 'None';
    if (logType !== 'None' && logType !== 'Tail') {
      return fail(
        400,
        'ValidationException',
        `1 validation error detected: Value '${logType}' at 'logType' failed to satisfy constraint: Member must satisfy enum value set: [Tail, None]`,
      );
    }
    const limit = invocationType === 'Event' ? ASYNC_LIMIT : SYNC_LIMIT;
    const body = await readBody(req, limit);
    if (body === undefined) {
      return fail(
        413,
        'RequestTooLargeException',
        `Request must be smaller than ${limit} bytes for the ${invocationType === 'Event' ? 'InvokeAsync' : 'InvokeFunction'} operation`,
      );
    }

    const ref = decodeURIComponent(route[1] as string);
    const qualifier = url.searchParams.get('Qualifier') ?? undefined;
    const fn = target.findFunction(ref, qualifier);
    if (!fn) {
      const arn = ref.startsWith('arn:')
        ? ref
        : `arn:aws:lambda:${target.region}:${target.account}:function:${ref}`;
      return fail(
        404,
        'ResourceNotFoundException',
        `Function not found: ${arn}${qualifier && !ref.includes(':') ? `:${qualifier}` : ''}`,
      );
    }
    if (!fn.hosted) {
      return fail(
        409,
        'ResourceConflictException',
        `${fn.arn} is in the stack but does not run locally: ${fn.notHostedBecause ?? 'no code'}`,
      );
    }

    let event: unknown = {};
    if (body.length > 0) {
      try {
        event = JSON.parse(body.toString('utf8'));
      } catch (error) {
        return fail(
          400,
          'InvalidRequestContentException',
          `Could not parse request body into json: Could not parse payload into json: ${(error as Error).message}`,
        );
      }
    }

    if (invocationType === 'DryRun') {
      res.writeHead(204, { 'x-amzn-RequestId': requestId });
      return res.end();
    }
    if (invocationType === 'Event') {
      const started = target.invokeAsync(fn.name, event);
      res.writeHead(202, {
        'Content-Type': 'application/json',
        'Content-Length': 0,
        'x-amzn-RequestId': started.requestId,
      });
      return res.end();
    }

    const record = await target.invokeWithLog(fn.name, event);
    if (record.error?.errorType === 'StoppedError') {
      return fail(503, 'ServiceException', 'the local runtime is stopping', 'Service');
    }
    let payload = record.error
      ? errorPayload(record.error)
      : Buffer.from(JSON.stringify(record.result ?? null));
    let functionError = record.error ? 'Unhandled' : undefined;
    if (!record.error && payload.length > SYNC_LIMIT) {
      payload = Buffer.from(
        JSON.stringify({
          errorType: 'Function.ResponseSizeTooLarge',
          errorMessage: `Response payload size exceeded maximum allowed payload size (${SYNC_LIMIT} bytes).`,
        }),
      );
      functionError = 'Unhandled';
    }
    res.writeHead(200, {
      'Content-Type': 'application/json',
      'Content-Length': payload.length,
      'x-amzn-RequestId': record.requestId,
      'X-Amz-Executed-Version': '$LATEST',
      ...(functionError ? { 'X-Amz-Function-Error': functionError } : {}),
      ...(logType === 'Tail' ? { 'X-Amz-Log-Result': logTail(record.log) } : {}),
    });
    res.end(payload);
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) {
        sendError(res, randomUUID(), 500, 'ServiceException', (error as Error).message, 'Service');
      } else {
        res.destroy();
      }
    });
  });
  server.keepAliveTimeout = 2_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      reject(
        error.code === 'EADDRINUSE'
          ? new PortInUseError(
              `the Lambda Invoke API cannot listen on 127.0.0.1:${options.port}: the port is in use (another npm start?); set ${LAMBDA_API_PORT_VARIABLE} to a free port`,
            )
          : error,
      );
    });
    server.listen(options.port, '127.0.0.1', () => resolve());
  });
  server.removeAllListeners('error');
  port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    attach: (t) => {
      target = t;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** The last 4 KB of the log, base64, as Lambda puts it in X-Amz-Log-Result. */
export function logTail(lines: readonly string[]): string {
  const text = Buffer.from(`${lines.join('\n')}\n`, 'utf8');
  return text.subarray(Math.max(0, text.length - TAIL_BYTES)).toString('base64');
}

/** What Lambda returns for an unhandled error: errorType, errorMessage and the stack as lines. */
function errorPayload(error: {
  errorType: string;
  message: string;
  remoteStack?: string | undefined;
}): Buffer {
  return Buffer.from(
    JSON.stringify({
      errorType: error.errorType,
      errorMessage: error.message,
      trace: error.remoteStack ? error.remoteStack.split('\n') : [],
    }),
  );
}

function headerValue(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** The whole body, or undefined when it passes `limit` bytes (read to its end all the same, so the client gets the answer). */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) chunks.length = 0;
      else chunks.push(chunk);
    });
    req.once('end', () => resolve(size > limit ? undefined : Buffer.concat(chunks)));
    req.once('error', reject);
  });
}

function sendError(
  res: ServerResponse,
  requestId: string,
  status: number,
  type: string,
  message: string,
  kind: string,
): void {
  const text = JSON.stringify({ Type: kind, Message: message });
  res.writeHead(status, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(text),
    'x-amzn-ErrorType': type,
    'x-amzn-RequestId': requestId,
  });
  res.end(text);
}
