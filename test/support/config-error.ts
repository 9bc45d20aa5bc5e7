import { ConfigError } from '../../cdk/config.ts';

/** The ConfigError `act` throws; fails the test if it throws anything else or nothing. */
export function configError(act: () => unknown): ConfigError {
  try {
    act();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}
