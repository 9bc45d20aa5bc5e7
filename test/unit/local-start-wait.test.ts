import { describe, expect, it } from 'vitest';
import { isUnavailable, refusedByPostgres } from '../../local/shared/start-wait.ts';

/** Shaped as pg's DatabaseError: the server's SQLSTATE and severity. */
const serverError = (code: string, message: string) =>
  Object.assign(new Error(message), { code, severity: 'FATAL' });

describe('refusedByPostgres', () => {
  it('puts what PostgreSQL said in one line, naming the server', () => {
    const error = serverError('28P01', 'password authentication failed for user "app"');

    const refused = refusedByPostgres(error, 'postgres://app:****@db:5432/prices');

    expect(refused?.name).toBe('StartRefusedError');
    expect(refused?.message).toBe(
      'PostgreSQL at postgres://app:****@db:5432/prices said: password authentication failed for user "app" (SQLSTATE 28P01)',
    );
    expect(refused?.cause).toBe(error);
  });

  it('leaves alone errors that are not the server answering (a socket error whose code is five letters too)', () => {
    const socket = Object.assign(new Error('write EPIPE'), { code: 'EPIPE' });
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), {
      code: 'ECONNREFUSED',
    });

    expect(refusedByPostgres(socket, 'db')).toBeUndefined();
    expect(refusedByPostgres(refused, 'db')).toBeUndefined();
    expect(refusedByPostgres('text', 'db')).toBeUndefined();
    expect(refusedByPostgres(null, 'db')).toBeUndefined();
  });

  it('is not consulted for a server that is starting: that one is waited for', () => {
    expect(isUnavailable(serverError('57P03', 'the database system is starting up'))).toBe(true);
    expect(isUnavailable(serverError('3D000', 'database "x" does not exist'))).toBe(false);
  });
});
