/**
 * `npm start`: runs the synthesized stack on this machine.
 *
 *   npm start -- [--source coinbase|sim|auto] [-c KEY=VALUE]… [--rate-start now|period]
 *                [--retention-minutes n] [--synth | --no-synth] [--verbose]
 */
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { type CliOptions, formatSummary, parseArgs, USAGE } from './cli.ts';
import type { LocalRuntime } from './runtime.ts';

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
const SUPERVISED = 'PRICESTREAM_RUNTIME_SUPERVISED';

/**
 * Ctrl-C in a terminal signals the whole foreground process group, so
 * PostgreSQL and kinesis-local would stop at once, under the invocations
 * still running. In a terminal the runtime therefore runs as a child in its
 * own process group, and this process passes the signals on to it alone.
 */
function supervise(): Promise<number> {
  const child = spawn(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
    detached: true,
    // The IPC channel tells the runtime when this process is gone (killed):
    // it then stops too, instead of running on without a terminal.
    stdio: ['inherit', 'inherit', 'inherit', 'ipc'],
    env: { ...process.env, [SUPERVISED]: '1' },
  });
  // One Ctrl-C can arrive twice (from the terminal, and relayed by tsx or
  // npm); only a second press a moment later means "force".
  let lastForwarded = 0;
  for (const signal of SIGNALS) {
    process.on(signal, () => {
      if (Date.now() - lastForwarded < 1_000) return;
      lastForwarded = Date.now();
      child.kill(signal);
    });
  }
  return new Promise((resolve) => {
    child.once('error', (error) => {
      process.stderr.write(`Cannot start the local runtime: ${error.message}\n`);
      resolve(1);
    });
    child.once('exit', (code, signal) =>
      resolve(code ?? (signal ? 128 + (constants.signals[signal] ?? 0) : 1)),
    );
  });
}

async function run(): Promise<number> {
  let options: CliOptions;
  try {
    options = parseArgs(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`${(error as Error).message} (see --help)\n`);
    return 2;
  }
  if (options.help) {
    process.stdout.write(USAGE);
    return 0;
  }

  const { startLocalRuntime, invokeTargetOf } = await import('./runtime.ts');
  const { lambdaApiPortFromEnv, startInvokeApi } = await import('./lambda/invoke-api.ts');
  const { createLogPrinter } = await import('./lambda/log-printer.ts');
  const { MetricsCollector, combineListeners, startLocalDashboard } = await import(
    './dashboard/index.ts'
  );

  // A closed terminal makes every later write fail (EIO, EPIPE). Unheard,
  // that error would kill the runtime in the middle of its clean stop; the
  // watchdog would then stop the servers, but in-flight batches and the last
  // checkpoints would be cut short. Output that cannot be shown is dropped.
  for (const stream of [process.stdout, process.stderr]) stream.on('error', () => {});

  let runtime: LocalRuntime | undefined;
  let stopRequested = false;
  let firstSignalAt = 0;
  const stopped = new Promise<void>((resolve) => {
    const onSignal = (signal: string) => {
      // The same Ctrl-C or kill can arrive twice: sent to the process group
      // and relayed by tsx or npm. Only a later one means "force".
      if (stopRequested && Date.now() - firstSignalAt < 1_000) return;
      if (stopRequested) {
        process.stderr.write(`\n${signal} again: exiting without a clean stop\n`);
        // Do not leave the servers behind.
        if (runtime?.pids.kinesis) process.kill(runtime.pids.kinesis, 'SIGKILL');
        if (runtime?.pids.postgres) process.kill(runtime.pids.postgres, 'SIGQUIT');
        process.exit(130);
      }
      stopRequested = true;
      firstSignalAt = Date.now();
      process.stdout.write(`\n${signal}: stopping (again to force)…\n`);
      resolve();
    };
    for (const signal of SIGNALS) process.on(signal, () => onSignal(signal));
    // Started by a supervising `npm start` that has died: stop as on SIGTERM.
    process.on('disconnect', () => onSignal('SIGTERM'));
  });

  // Bound first, so a port in use is said at once; it answers once the runtime is up.
  let invokeApi: Awaited<ReturnType<typeof startInvokeApi>> | undefined;
  try {
    invokeApi = await startInvokeApi({ port: lambdaApiPortFromEnv() });
  } catch (error) {
    // The pipeline runs without it rather than not at all, as without its dashboard.
    process.stderr.write(`The Lambda Invoke API did not start: ${(error as Error).message}\n`);
  }

  const printer = createLogPrinter({ verbose: options.verbose });
  // Reads the functions' EMF lines from the start, for the local dashboard.
  const collector = new MetricsCollector();
  let dashboard: Awaited<ReturnType<typeof startLocalDashboard>> | undefined;
  process.stdout.write('Starting the local runtime…\n');
  try {
    runtime = await startLocalRuntime({
      synth: options.synth,
      context: options.context,
      rateStart: options.rateStart,
      ...(options.retentionMinutes !== undefined
        ? { retentionMinutes: options.retentionMinutes }
        : {}),
      listeners: combineListeners(printer, collector.listeners),
      functionEnv: (fn) =>
        options.source &&
        (fn.environment.PRICE_SOURCE !== undefined || fn.displayName === 'FetchPrices')
          ? { PRICE_SOURCE: options.source }
          : undefined,
      ...(options.verbose
        ? {
            onServiceLog: (source, line) => process.stdout.write(`[${source}] ${line.trimEnd()}\n`),
          }
        : {}),
    });
  } catch (error) {
    const known = [
      'SynthError',
      'TemplateError',
      'CustomResourceError',
      'UsageError',
      'StartTimeoutError',
      'StartRefusedError',
    ].includes((error as Error).name);
    const detail =
      error instanceof Error
        ? known
          ? error.message
          : (error.stack ?? error.message)
        : String(error);
    process.stderr.write(`\nThe local runtime did not start: ${detail}\n`);
    await invokeApi?.close();
    return 1;
  }
  if (!stopRequested) {
    process.stdout.write(formatSummary(runtime, options));
    if (invokeApi) {
      invokeApi.attach(invokeTargetOf(runtime));
      process.stdout.write(
        `Lambda API: ${invokeApi.url} (npm run invoke -- FUNCTION, npm run fire -- RULE, aws lambda invoke --endpoint-url ${invokeApi.url} …)\n`,
      );
    }
    // The pipeline runs without its dashboard rather than not at all.
    try {
      dashboard = await startLocalDashboard({ runtime, collector });
      process.stdout.write(`Dashboard: ${dashboard.url}\n`);
    } catch (error) {
      const detail =
        (error as NodeJS.ErrnoException).code === 'EADDRINUSE'
          ? 'its port is in use (set PRICESTREAM_DASHBOARD_PORT)'
          : (error as Error).message;
      process.stderr.write(`The local dashboard did not start: ${detail}\n`);
    }
  }
  await stopped;
  try {
    await invokeApi?.close();
    await dashboard?.close();
    await runtime.stop();
    process.stdout.write('Stopped.\n');
    return 0;
  } catch (error) {
    process.stderr.write(`Stopping failed: ${String(error)}\n`);
    return 1;
  }
}

const supervised =
  process.stdin.isTTY && process.platform !== 'win32' && process.env[SUPERVISED] !== '1';
process.exitCode = supervised ? await supervise() : await run();
// Anything left (an idle socket, a stray timer) must not keep a stopped runtime alive.
process.exit();
