/**
 * npm run bench:rollup [-- --rows 10000000 | --quick]
 *
 * How long the gold rollups take against a large silver.prices, next to the
 * floor: a plain GROUP BY over the same rows. Starts its own embedded
 * PostgreSQL (port 54381, data under .data/bench-pg, removed afterwards) or
 * uses a scratch database on the server of DATABASE_URL. Writes
 * bench/results/rollup-<timestamp>.{json,md}.
 *
 * Targets: an incremental run under 100 ms, a full backfill under 20 s, with
 * 10M rows.
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { applyMigrations, readMigrations } from '../lambdas/shared/migrations.ts';
import { type Granularity, type RollupResult, runRollup } from '../lambdas/shared/rollup.ts';
import { ensureDatabase, startEmbeddedPostgres } from '../local/services/postgres.ts';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const SYMBOLS = ['BTC-USD', 'ETH-USD', 'SOL-USD', 'ADA-USD', 'DOGE-USD'];
/** The producer's poll interval: one row per symbol every 10 s. */
const SPACING_SECONDS = 10;
/** Rows per INSERT while loading, so progress shows. */
const CHUNK = 1_000_000;
const REPEATS = 5;
const TARGETS = { incrementalMs: 100, backfillMs: 20_000 };

interface Measurement {
  name: string;
  ms: number;
  detail: string;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      rows: { type: 'string' },
      quick: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) {
    process.stdout.write(
      'Usage: npm run bench:rollup -- [--rows 10000000] [--quick (200000 rows)]\n',
    );
    return;
  }
  const rows = values.quick ? 200_000 : Number(values.rows ?? 10_000_000);
  if (!Number.isInteger(rows) || rows < SYMBOLS.length * 1000) {
    throw new Error(`--rows must be an integer of at least ${SYMBOLS.length * 1000}`);
  }

  const server = await openServer();
  const pool = new pg.Pool({ connectionString: server.url, max: 2 });
  // An idle client whose server went away must not crash the run (or its report).
  pool.on('error', () => {});
  try {
    log(`database ${redact(server.url)}`);
    await applyMigrations(pool, await readMigrations(path.join(ROOT, 'sql', 'migrations')));
    const loaded = await load(pool, rows);
    const results = await measure(pool, loaded);
    await report(pool, rows, results);
  } finally {
    await pool.end();
    await server.close();
  }
}

/** Our own ephemeral embedded server, or a scratch database on DATABASE_URL's server. */
async function openServer(): Promise<{ url: string; close: () => Promise<void> }> {
  const external = process.env.DATABASE_URL;
  if (external) {
    const name = `pricestream_bench_${process.pid}`;
    const admin = new URL(external);
    admin.pathname = '/postgres';
    await ensureDatabase(admin.toString(), name);
    const url = new URL(external);
    url.pathname = `/${name}`;
    return {
      url: url.toString(),
      close: async () => {
        const client = new pg.Client({ connectionString: admin.toString() });
        await client.connect();
        await client.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`);
        await client.end();
      },
    };
  }
  const dataDir = path.join(ROOT, '.data', 'bench-pg');
  await rm(dataDir, { recursive: true, force: true });
  log('starting embedded PostgreSQL on 127.0.0.1:54381');
  const postgres = await startEmbeddedPostgres({
    dataDir,
    port: 54381,
    database: 'pricestream_bench',
    fast: true,
    ephemeral: true,
  });
  return { url: postgres.url, close: postgres.stop };
}

interface Loaded {
  /** The first 10-minute bucket after the loaded rows. */
  nextBucket: Date;
}

/**
 * N rows of the source consumer, 5 symbols, one every 10 s per symbol (about
 * 231 days for 10M rows). The secondary indexes are dropped for the load and
 * built again after it, which is much faster than maintaining them row by row;
 * VACUUM then sets the visibility map, as autovacuum would on a live table.
 */
async function load(pool: pg.Pool, rows: number): Promise<Loaded> {
  const perSymbol = Math.floor(rows / SYMBOLS.length);
  const start = new Date('2025-01-01T00:00:00Z');
  const indexes = (
    await pool.query<{ name: string; definition: string }>(
      `SELECT i.indexrelid::regclass::text AS name, pg_get_indexdef(i.indexrelid) AS definition
         FROM pg_index i
        WHERE i.indrelid = 'silver.prices'::regclass
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)`,
    )
  ).rows;
  for (const index of indexes) await pool.query(`DROP INDEX ${index.name}`);

  let started = performance.now();
  for (let from = 0; from < perSymbol; from += CHUNK / SYMBOLS.length) {
    const to = Math.min(perSymbol, from + CHUNK / SYMBOLS.length);
    await pool.query(
      `INSERT INTO silver.prices (
         consumer, event_id, symbol, base, quote, source, price, volume_24h, event_time,
         fetched_at, ingested_at, received_at, processed_at, shard_id, sequence_number)
       SELECT 'realtime', 'sim:' || s.symbol || ':' || g, s.symbol, split_part(s.symbol, '-', 1),
              'USD', 'sim',
              s.base * (1 + 0.05 * sin(g / 5000.0) + 0.001 * ((g * 7919 + s.k * 104729) % 1000) / 1000.0),
              1000 + (g % 500),
              t, t + interval '80 ms', t + interval '200 ms', t + interval '300 ms',
              t + interval '400 ms', 'shardId-00000000000' || s.k, g::text
         FROM unnest($1::text[], $2::float8[]) WITH ORDINALITY AS s(symbol, base, k)
        CROSS JOIN generate_series($3::bigint, $4::bigint - 1) AS g
        CROSS JOIN LATERAL (SELECT $5::timestamptz + g * interval '${SPACING_SECONDS} s' AS t) AS e`,
      [SYMBOLS, [86_000, 2_950, 140, 0.45, 0.12], from, to, start],
    );
    log(`loaded ${((to * SYMBOLS.length) / 1e6).toFixed(1)}M rows`);
  }
  const loadMs = performance.now() - started;
  started = performance.now();
  await pool.query("SET maintenance_work_mem = '1GB'");
  for (const index of indexes) await pool.query(index.definition);
  await pool.query('VACUUM (ANALYZE) silver.prices');
  log(
    `loaded in ${seconds(loadMs)}, indexes and vacuum in ${seconds(performance.now() - started)}`,
  );
  const last = start.getTime() + (perSymbol - 1) * SPACING_SECONDS * 1000;
  return { nextBucket: new Date(Math.floor(last / 600_000) * 600_000 + 600_000) };
}

async function measure(pool: pg.Pool, loaded: Loaded): Promise<Measurement[]> {
  const results: Measurement[] = [];
  const record = (name: string, ms: number, detail = '') => {
    results.push({ name, ms: Math.round(ms), detail });
    log(`${name}: ${Math.round(ms)} ms ${detail}`);
  };

  // (a) The floor: read every row once and group it, nothing more.
  const floor: number[] = [];
  for (let i = 0; i < 3; i++) {
    const started = performance.now();
    await pool.query(
      `SELECT symbol, date_bin('10 minutes', event_time, timestamptz '1970-01-01 00:00:00+00'),
              avg(price), min(price), max(price), count(*)
         FROM silver.prices WHERE consumer = 'realtime' GROUP BY 1, 2`,
    );
    floor.push(performance.now() - started);
  }
  record('floor: GROUP BY 10-minute buckets', median(floor), '(median of 3)');

  // (b) Full backfills into empty gold tables, then again with nothing to change.
  for (const granularity of ['10m', '1h'] as const) {
    const first = await runRollup(pool, { granularity, backfill: {} });
    record(`backfill ${granularity}, empty gold`, first.durationMs, describe(first));
    const again = await runRollup(pool, { granularity, backfill: {} });
    record(`backfill ${granularity}, nothing changed`, again.durationMs, describe(again));
  }
  // The first scheduled run finds no high-water mark: a rebuild.
  for (const granularity of ['10m', '1h'] as const) {
    const rebuild = await runRollup(pool, { granularity });
    record(`first scheduled run ${granularity} (rebuild)`, rebuild.durationMs, describe(rebuild));
  }

  // (c) Incremental runs: one new bucket per symbol each time.
  const incremental: Record<Granularity, number[]> = { '10m': [], '1h': [] };
  let last: Record<Granularity, RollupResult | undefined> = { '10m': undefined, '1h': undefined };
  for (let i = 0; i < REPEATS; i++) {
    const at = new Date(loaded.nextBucket.getTime() + i * 600_000 + 1_000);
    await pool.query(
      `INSERT INTO silver.prices (
         consumer, event_id, symbol, base, quote, source, price, volume_24h, event_time,
         fetched_at, ingested_at, received_at, shard_id, sequence_number)
       SELECT 'realtime', 'bench:' || s || ':' || $3, s, split_part(s, '-', 1), 'USD', 'sim',
              100, 1000, $2, $2, $2, $2, 'shardId-000000000000', $3
         FROM unnest($1::text[]) AS s`,
      [SYMBOLS, at, String(i)],
    );
    for (const granularity of ['10m', '1h'] as const) {
      const result = await runRollup(pool, { granularity });
      incremental[granularity].push(result.durationMs);
      last = { ...last, [granularity]: result };
    }
  }
  for (const granularity of ['10m', '1h'] as const) {
    const result = last[granularity] as RollupResult;
    record(
      `incremental ${granularity}, 1 new bucket per symbol`,
      median(incremental[granularity]),
      `(median of ${REPEATS}; last: ${describe(result)})`,
    );
  }
  return results;
}

function describe(result: RollupResult): string {
  return `${result.recomputed} recomputed, ${result.inserted} new, ${result.updated} updated, ${result.changed} change fields`;
}

async function report(pool: pg.Pool, rows: number, results: Measurement[]): Promise<void> {
  const floorMs = results[0]?.ms ?? 1;
  const version = (await pool.query<{ server_version: string }>('SHOW server_version')).rows[0]
    ?.server_version;
  const verdict = (m: Measurement) =>
    m.name.startsWith('incremental')
      ? m.ms < TARGETS.incrementalMs
        ? `target < ${TARGETS.incrementalMs} ms: met`
        : `target < ${TARGETS.incrementalMs} ms: MISSED`
      : m.name.startsWith('backfill') && m.name.endsWith('empty gold')
        ? m.ms < TARGETS.backfillMs
          ? `target < ${TARGETS.backfillMs / 1000} s: met`
          : `target < ${TARGETS.backfillMs / 1000} s: MISSED`
        : '';
  const table = results.map((m) => ({
    measurement: m.name,
    ms: m.ms,
    'x floor': ratio(m.ms / floorMs),
    target: verdict(m),
    detail: m.detail,
  }));
  const machine = {
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    memoryGb: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    postgres: version,
  };
  console.table(table);

  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const dir = path.join(ROOT, 'bench', 'results');
  await mkdir(dir, { recursive: true });
  const base = path.join(dir, `rollup-${stamp}`);
  await writeFile(
    `${base}.json`,
    `${JSON.stringify({ version: 1, generatedAt: new Date().toISOString(), rows, machine, targets: TARGETS, floorMs, results: table }, null, 2)}\n`,
  );
  const md = [
    `# Rollup benchmark, ${rows.toLocaleString('en-US')} silver rows`,
    '',
    `${machine.cpus} CPUs (${machine.cpuModel}), ${machine.memoryGb} GB, Node ${machine.node}, PostgreSQL ${machine.postgres}.`,
    `Rows: ${SYMBOLS.length} symbols, one every ${SPACING_SECONDS} s each, all from the source consumer.`,
    '',
    '| measurement | ms | × floor | target | detail |',
    '| --- | ---: | ---: | --- | --- |',
    ...table.map(
      (r) => `| ${r.measurement} | ${r.ms} | ${r['x floor']} | ${r.target} | ${r.detail} |`,
    ),
    '',
  ].join('\n');
  await writeFile(`${base}.md`, md);
  log(`wrote ${path.relative(ROOT, base)}.{json,md}`);
}

/** Two decimals, or two significant digits below 1 (an incremental run is a tiny fraction). */
const ratio = (value: number) => (value >= 1 ? value.toFixed(2) : value.toPrecision(2));

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const redact = (url: string) => url.replace(/\/\/([^:@/]+):[^@/]+@/, '//$1:***@');
const log = (message: string) => process.stderr.write(`bench:rollup ${message}\n`);

await main();
