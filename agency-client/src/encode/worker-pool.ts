/**
 * The worker-thread pool both encoders (blindlink's and the clkhash-compatible one) spread batches
 * over: piscina, with a fixed number of workers. A worker module default-exports its batch
 * encoder, built once per thread from `setup` (piscina hands it over as workerData), so each thread
 * keeps its own encoder and caches. Piscina gives each batch to an idle worker; every result is its
 * own promise, so a caller that awaits them in submission order writes its output in input order
 * whichever worker finishes first.
 */
import { Piscina } from 'piscina';

export interface BatchPool<In, Out> {
  encode(batch: In): Promise<Out>;
  close(): Promise<void>;
}

/** `count` workers running the module at `workerUrl`, with `setup` as their workerData. */
export function workerPool<In, Out>(workerUrl: URL, setup: unknown, count: number): BatchPool<In, Out> {
  const pool = new Piscina<In, Out>({
    filename: workerUrl.href,
    workerData: setup,
    minThreads: count,
    maxThreads: count,
    // The workers live as long as the pool: their caches are what makes later batches fast.
    idleTimeout: Number.POSITIVE_INFINITY,
  });
  return {
    encode: (batch) => pool.run(batch),
    close: () => pool.destroy(),
  };
}

/** The same interface in the calling thread (small inputs, --threads 1): no worker start-up. */
export function inThreadPool<In, Out>(encodeBatch: (batch: In) => Out): BatchPool<In, Out> {
  return {
    encode: (batch) => Promise.resolve(encodeBatch(batch)),
    close: () => Promise.resolve(),
  };
}
