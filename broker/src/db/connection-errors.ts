/**
 * Whether an error means the database connection was lost or could not be had (a server restart,
 * failover, an administrator or idle timeout ending the session, the server refusing connections),
 * as opposed to a fault in the statement itself. Such a request may succeed if retried: the pool
 * replaces the connection. PGlite runs in the process and has no connection to lose, and none of its
 * errors carries these codes or messages.
 */

/**
 * SQLSTATE class 08 (connection exception), 57P01–57P03 (shutdown, crash, cannot connect now), 53300 (too many
 * connections).
 */
const SQLSTATES = new Set(['57P01', '57P02', '57P03', '53300']);
/** Node socket and DNS errors on the way to the server. */
const SOCKET_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);
/** pg and pg-pool say so only in their messages. */
const MESSAGES = [
  'Connection terminated',
  'Client has encountered a connection error and is not queryable',
  'Client was closed and is not queryable',
  'timeout exceeded when trying to connect',
  'Cannot use a pool after calling end on the pool',
];

export function isConnectionLost(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && (SQLSTATES.has(code) || code.startsWith('08') || SOCKET_CODES.has(code))) return true;
  return MESSAGES.some((m) => err.message.startsWith(m));
}

/** Seconds a client is asked to wait before retrying after a lost connection (Retry-After). */
export const DATABASE_RETRY_AFTER_SECONDS = 2;
