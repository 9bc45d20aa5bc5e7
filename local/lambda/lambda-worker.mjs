// One Lambda execution environment. Plain JavaScript on purpose: the bundle
// must run on bare Node.js like on Lambda, not through the tsx loader the
// runtime itself runs under.

import { pathToFileURL } from 'node:url';
import { parentPort, workerData } from 'node:worker_threads';

const config = workerData;

if (config.enableSourceMaps && typeof process.setSourceMapsEnabled === 'function') {
  process.setSourceMapsEnabled(true);
}

function serializeError(error) {
  if (error instanceof Error) {
    return { name: error.name || 'Error', message: error.message, stack: error.stack };
  }
  return { name: 'Error', message: typeof error === 'string' ? error : JSON.stringify(error) };
}

function resolveHandler(module, handlerPath) {
  let target = module;
  for (const part of handlerPath.split('.')) {
    target = target?.[part] ?? (target === module ? module.default?.[part] : undefined);
  }
  if (typeof target !== 'function') {
    const error = new Error(`${config.handlerPath} is undefined or not exported`);
    error.name = 'Runtime.HandlerNotFound';
    throw error;
  }
  return target;
}

const initStarted = performance.now();
let handler;
try {
  const module = await import(pathToFileURL(config.entryFile).href);
  handler = resolveHandler(module, config.handlerPath);
  parentPort.postMessage({ type: 'ready', initDurationMs: performance.now() - initStarted });
} catch (error) {
  parentPort.postMessage({ type: 'init-error', error: serializeError(error) });
}

function createContext(requestId, deadline, settle) {
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: config.functionName,
    functionVersion: config.functionVersion,
    invokedFunctionArn: config.invokedFunctionArn,
    memoryLimitInMB: String(config.memoryLimitInMB),
    awsRequestId: requestId,
    logGroupName: config.logGroupName,
    logStreamName: config.logStreamName,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: (error, result) => settle(error, result),
    fail: (error) => settle(error ?? new Error('failed')),
    succeed: (result) => settle(undefined, result),
  };
}

async function invoke({ requestId, event, deadline, traceId }) {
  process.env._X_AMZN_TRACE_ID = traceId;
  let settleFromCallback;
  const fromCallback = new Promise((resolve, reject) => {
    settleFromCallback = (error, result) => (error ? reject(error) : resolve(result));
  });
  const context = createContext(requestId, deadline, (error, result) =>
    settleFromCallback(error, result),
  );
  const callback = (error, result) => settleFromCallback(error, result);
  const returned = handler(event, context, callback);
  // Like the Node.js runtime: a handler that returns a promise is done when
  // it settles; a callback-style handler (three parameters) when it calls back.
  if (returned && typeof returned.then === 'function') return await returned;
  if (handler.length >= 3) return await fromCallback;
  return returned;
}

// Output travels to the host on its own channel: a line after the last one
// of each invocation, on both streams, tells the host it has all of them (the
// host keeps it out of the logs).
function markEnd(requestId) {
  const marker = `${config.endMarker} ${requestId}\n`;
  process.stdout.write(marker);
  process.stderr.write(marker);
}

parentPort.on('message', async (message) => {
  if (message.type !== 'invoke') return;
  let outcome;
  try {
    const value = await invoke(message);
    // Lambda returns the result as JSON: undefined becomes null, class
    // instances become plain objects.
    const json = JSON.stringify(value ?? null);
    outcome = { type: 'result', requestId: message.requestId, ok: true, json };
  } catch (error) {
    outcome = {
      type: 'result',
      requestId: message.requestId,
      ok: false,
      error: serializeError(error),
    };
  }
  markEnd(message.requestId);
  parentPort.postMessage(outcome);
});
