import { describe, expect, it } from 'vitest';
import { describeDatabaseError, serverOf } from '../../scripts/report/database-errors.ts';

const URL = 'postgres://postgres:s3cret@127.0.0.1:54329/pricestream';
const withCode = (message: string, code: string) => Object.assign(new Error(message), { code });

describe('describeDatabaseError', () => {
  it('says where PostgreSQL could not be reached and how to start it', () => {
    expect(describeDatabaseError(withCode('connect ECONNREFUSED', 'ECONNREFUSED'), URL)).toEqual({
      problem: 'unreachable',
      message:
        'Cannot reach PostgreSQL at 127.0.0.1:54329 (ECONNREFUSED): start the pipeline with `npm start` or set DATABASE_URL',
    });
  });

  it('finds the code inside the AggregateError Node throws for a host with several addresses', () => {
    const error = new AggregateError([
      withCode('connect ECONNREFUSED ::1:54329', 'ECONNREFUSED'),
      withCode('connect ECONNREFUSED 127.0.0.1:54329', 'ECONNREFUSED'),
    ]);

    expect(describeDatabaseError(error, URL).message).toContain('(ECONNREFUSED)');
  });

  it('treats a connection timeout as unreachable', () => {
    const error = new Error('Connection terminated due to connection timeout');

    expect(describeDatabaseError(error, URL)).toMatchObject({ problem: 'unreachable' });
  });

  it('reports a refused login without the password', () => {
    const described = describeDatabaseError(
      withCode('password authentication failed for user "postgres"', '28P01'),
      URL,
    );

    expect(described.problem).toBe('unreachable');
    expect(described.message).toContain('28P01');
    expect(described.message).not.toContain('s3cret');
  });

  it.each(['42P01', '3F000'])('maps %s to a missing silver schema', (code) => {
    const described = describeDatabaseError(
      withCode('relation "silver.prices" does not exist', code),
      URL,
    );

    expect(described.problem).toBe('not-migrated');
    expect(described.message).toMatch(
      /^silver\.prices does not exist in database "pricestream" at 127\.0\.0\.1:54329/,
    );
  });

  it('passes any other failure on in one line', () => {
    const described = describeDatabaseError(
      withCode('canceling statement due to statement timeout\nDETAIL: x', '57014'),
      URL,
    );

    expect(described).toEqual({
      problem: 'failed',
      message: 'The report query failed (57014: canceling statement due to statement timeout)',
    });
  });
});

describe('serverOf', () => {
  it('names host, port and database, defaulting the port', () => {
    expect(serverOf('postgres://u:p@db.example.com/prices')).toEqual({
      hostPort: 'db.example.com:5432',
      database: 'prices',
    });
  });
});
