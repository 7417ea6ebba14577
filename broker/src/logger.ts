import { pino, type LoggerOptions } from 'pino';

/**
 * Logs carry request ids, routes, status codes and timings only. Bodies are never logged; headers
 * that carry credentials and any field named like a secret or token are redacted in case a later
 * change logs an object carelessly.
 */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  '*.secret',
  '*.accessToken',
  '*.password',
  '*.records',
  '*.clk',
  'secret',
  'accessToken',
  'password',
];

export function loggerOptions(level: string): LoggerOptions {
  return {
    level,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    serializers: {
      req: (req: { method?: string; url?: string; id?: string }) => ({ method: req.method, url: req.url, id: req.id }),
      res: (res: { statusCode?: number }) => ({ statusCode: res.statusCode }),
    },
  };
}

export function createLogger(level = process.env.LOG_LEVEL ?? 'info', destination?: pino.DestinationStream) {
  return destination ? pino(loggerOptions(level), destination) : pino(loggerOptions(level));
}
