/** tap's `after` script: stops the embedded PostgreSQL that postgres-before.ts started for this run, if any. */
import { stopRunServer } from './embedded-postgres.js';

if (await stopRunServer(process.ppid)) process.stderr.write('# PostgreSQL for the tests: embedded server stopped\n');
