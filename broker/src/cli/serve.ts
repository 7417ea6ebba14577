import { join } from 'node:path';
import type { Command } from 'commander';
import { openDatabase } from '../db/connect.js';
import { migrateToLatest } from '../db/migrate.js';
import { runWorkerCommand } from '../jobs/worker-command.js';
import { certificateFingerprint, keyDir, startBroker } from '../server.js';
import { CliError, dataDir, intArg } from './shared.js';

/** migrate, serve, worker: running the broker. */
export function serveCommands(program: Command): void {
  dataDir(program.command('migrate').description('apply database migrations')).action(
    async (o: { dataDir: string }) => {
      const h = await openDatabase({ url: process.env.DATABASE_URL, dataDir: o.dataDir });
      try {
        const applied = await migrateToLatest(h.db);
        process.stdout.write(applied.length ? `applied: ${applied.join(', ')}\n` : 'already at the latest migration\n');
      } finally {
        await h.close();
      }
    },
  );

  dataDir(program.command('serve').description('run the broker API'))
    .option('--host <host>', 'interface to listen on', '127.0.0.1')
    .option('--port <port>', 'port to listen on (0 = any free port)', intArg('--port'), 8443)
    .option(
      '--body-limit <bytes>',
      'largest submission body accepted (default 256 MiB); other routes accept 64 KiB to 2 MiB',
      intArg('--body-limit'),
    )
    .option('--tls-cert <file>', "the operator's TLS certificate (PEM); default: one issued by the broker CA")
    .option('--tls-key <file>', 'its private key (PEM)')
    .option('--no-worker', 'link no runs in this broker: separate `blindlink-broker worker` processes do')
    .action(
      async (o: {
        dataDir: string;
        host: string;
        port: number;
        bodyLimit?: number;
        tlsCert?: string;
        tlsKey?: string;
        worker: boolean;
      }) => {
        if (Boolean(o.tlsCert) !== Boolean(o.tlsKey)) throw new CliError('give --tls-cert and --tls-key together');
        const broker = await startBroker({
          dataDir: o.dataDir,
          databaseUrl: process.env.DATABASE_URL,
          host: o.host,
          port: o.port,
          tls: o.tlsCert && o.tlsKey ? { certFile: o.tlsCert, keyFile: o.tlsKey } : undefined,
          ...(o.bodyLimit ? { bodyLimit: o.bodyLimit } : {}),
          // Runs are linked in a forked worker process, never on the API's event loop (jobs/).
          worker: o.worker ? 'fork' : 'none',
        });
        process.stderr.write(
          `blindlink broker CA: ${join(keyDir(o.dataDir), 'ca.cert.pem')} (SHA-256 ` +
            `${certificateFingerprint(broker.caCertificate)}); clients pin it\n` +
            `blindlink-broker listening on ${broker.url} (${broker.database.kind})\n`,
        );
        const stop = async () => {
          await broker.close();
          process.exit(0);
        };
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      },
    );

  dataDir(
    program
      .command('worker')
      .description(
        'link queued runs (needs DATABASE_URL and the broker keys in <data-dir>/keys); run any number, on ' +
          'any machine sharing the database',
      ),
  )
    .option('--concurrency <n>', 'runs linked at once by this process', intArg('--concurrency'), 1)
    .action(async (o: { dataDir: string; concurrency: number }) => {
      // A test knob: how long a run's heartbeat may be silent before its worker is presumed dead.
      const stale = Number(process.env.BLINDLINK_WORKER_STALE_MS ?? '');
      await runWorkerCommand({
        dataDir: o.dataDir,
        keyDir: keyDir(o.dataDir),
        concurrency: Math.max(1, o.concurrency),
        ...(stale > 0 ? { staleAfterMs: stale } : {}),
      });
    });
}
