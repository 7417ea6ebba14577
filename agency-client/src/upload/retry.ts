import { BrokerError } from '../broker-client/http.js';

export interface RetryPolicy {
  /** Tries in all, the first included. */
  attempts: number;
  /** First wait, doubled after each failure up to maxDelayMs. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** Told of each failure that will be retried (a line on stderr in the CLI). */
  onRetry?: (what: string, attempt: number, err: BrokerError, waitMs: number) => void;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 8, baseDelayMs: 500, maxDelayMs: 15_000 };

/** A dropped connection, a broker error or a rate limit: worth trying again. A refusal is not. */
export function isTransient(err: unknown): err is BrokerError {
  return (
    err instanceof BrokerError &&
    (err.status === 0 || err.status === 429 || err.status >= 500) &&
    err.code !== 'not-https'
  );
}

export async function withRetry<T>(what: string, policy: RetryPolicy, fn: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (!isTransient(err) || attempt >= policy.attempts) throw err;
      // Jitter, so two chunks that failed together do not retry in lock step.
      const wait = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1)) * (0.75 + Math.random() / 2);
      policy.onRetry?.(what, attempt, err, wait);
      await new Promise((r) => setTimeout(r, wait));
    }
  }
}
