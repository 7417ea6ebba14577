import { type Command, InvalidArgumentError } from 'commander';
import { BrokerError } from '../broker-client/http.js';
import { uploadEncodedFile } from '../upload/chunked.js';
import { uploadProgress } from './progress.js';
import { brokerOptions, withClient } from './shared.js';

export function submitCommand(program: Command): void {
  brokerOptions(
    program
      .command('submit')
      .description(
        'sign, seal and upload an encoded file for a purpose, in chunks (resumes: run it again after a failure)',
      ),
  )
    .requiredOption('--in <file>', 'encoded file written by "encode"')
    .option(
      '--idempotency-key <key>',
      'retry key (default: derived from the file, so re-running resumes the same upload)',
    )
    .option('--chunk-records <n>', 'records per chunk', (v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1 || n > 1_000_000)
        throw new InvalidArgumentError('--chunk-records must be a whole number from 1 to 1,000,000');
      return n;
    })
    .action(
      async (o: {
        broker: string;
        keyDir: string;
        purpose: string;
        in: string;
        idempotencyKey?: string;
        chunkRecords?: number;
      }) => {
        const bar = uploadProgress();
        try {
          const r = await withClient(o, (client) =>
            uploadEncodedFile(client, {
              purpose: o.purpose,
              path: o.in,
              ...(o.idempotencyKey ? { idempotencyKey: o.idempotencyKey } : {}),
              ...(o.chunkRecords ? { maxChunkRecords: o.chunkRecords } : {}),
              onPlan: (plan) =>
                process.stderr.write(`${o.in}: ${plan.totalRecords} records checked, ${plan.chunks.length} chunks\n`),
              progress: bar,
              retry: {
                onRetry: (what, attempt, err, wait) =>
                  bar.log(
                    `${what}: ${err.message}; retrying in ${(wait / 1000).toFixed(1)} s (attempt ${attempt + 1})`,
                  ),
              },
            }),
          );
          bar.stop();
          process.stderr.write(
            `${r.recordCount} records stored as submission ${r.submissionId} in ${r.seconds.toFixed(1)} s ` +
              `(${Math.round(r.recordCount / Math.max(r.seconds, 1e-9))} rows/s); ` +
              `${r.sent} of ${r.chunks} chunks sent` +
              `${r.alreadyHeld ? `, ${r.alreadyHeld} already held from an earlier attempt` : ''}` +
              `${r.retries ? `, ${r.retries} retries` : ''}\n`,
          );
          const { submissionId, purpose, agency, recordCount, digest } = r;
          process.stdout.write(JSON.stringify({ submissionId, purpose, agency, recordCount, digest }) + '\n');
        } catch (err) {
          bar.stop();
          if (err instanceof BrokerError && err.code === 'submission-already-stored') {
            process.stderr.write(`already stored: ${err.message}\n`);
            // Stored but no longer current: the file the agency meant to submit is not what runs link.
            if ((err.details as { current?: boolean } | undefined)?.current === false) process.exitCode = 1;
            return;
          }
          throw err;
        }
      },
    );
}
