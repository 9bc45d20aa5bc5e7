import { Logger } from '@aws-lambda-powertools/logger';

/** Structured JSON logs; service name and level come from POWERTOOLS_SERVICE_NAME and LOG_LEVEL. */
export function createLogger(serviceName: string): Logger {
  return new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? serviceName });
}
