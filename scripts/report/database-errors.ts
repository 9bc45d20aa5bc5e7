/**
 * Turns what node-postgres throws into one line a person can act on, and
 * tells the CLI which exit code it means. Never echoes the password.
 */

export type DatabaseProblem = 'unreachable' | 'not-migrated' | 'failed';

export interface DescribedError {
  problem: DatabaseProblem;
  message: string;
}

/** Socket-level failures: nothing answers, or not in time. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
]);
/** PostgreSQL answers but will not let us in, or the database is not there. */
const LOGIN_CODES = new Set(['28P01', '28000', '3D000']);
/** undefined_table, invalid_schema_name: the migrations have not run. */
const NOT_MIGRATED_CODES = new Set(['42P01', '3F000']);

export function describeDatabaseError(error: unknown, databaseUrl: string): DescribedError {
  const where = serverOf(databaseUrl);
  const code = errorCode(error);
  const detail = error instanceof Error ? error.message.split('\n')[0] : String(error);
  const fix = 'start the pipeline with `npm start` or set DATABASE_URL';

  if (code && NOT_MIGRATED_CODES.has(code)) {
    return {
      problem: 'not-migrated',
      message: `silver.prices does not exist in database "${where.database}" at ${where.hostPort} (${detail}): run \`npm start\`, which applies the migrations, or point DATABASE_URL at a migrated database`,
    };
  }
  if (code && LOGIN_CODES.has(code)) {
    return {
      problem: 'unreachable',
      message: `PostgreSQL at ${where.hostPort} refused the connection (${code}: ${detail}): check DATABASE_URL`,
    };
  }
  // node-postgres's own connect timeout and lost connections carry no code;
  // a server error with a code (57014 statement timeout) is not a reachability problem.
  const clientSide = !code && /connection timeout|terminated unexpectedly/i.test(detail ?? '');
  if ((code && NETWORK_CODES.has(code)) || clientSide) {
    return {
      problem: 'unreachable',
      message: `Cannot reach PostgreSQL at ${where.hostPort} (${code ?? detail}): ${fix}`,
    };
  }
  return {
    problem: 'failed',
    message: `The report query failed (${code ? `${code}: ` : ''}${detail})`,
  };
}

/** host:port and database name from a postgres:// URL, without credentials. */
export function serverOf(databaseUrl: string): { hostPort: string; database: string } {
  try {
    const url = new URL(databaseUrl);
    return {
      hostPort: `${url.hostname || 'localhost'}:${url.port || '5432'}`,
      database: decodeURIComponent(url.pathname.replace(/^\//, '')) || '(default)',
    };
  } catch {
    return { hostPort: '(unparsable DATABASE_URL)', database: '(unknown)' };
  }
}

/**
 * Node 20 tries each address of a host name in turn; when all fail it throws
 * an AggregateError whose own code may be missing, so look inside too.
 */
function errorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { code, errors } = error as { code?: unknown; errors?: unknown };
  if (typeof code === 'string' && code) return code;
  if (Array.isArray(errors)) {
    for (const inner of errors) {
      const found = errorCode(inner);
      if (found) return found;
    }
  }
  return undefined;
}
