/**
 * tap's `before` script: picks the PostgreSQL server this run's system tests use. BLINDLINK_TEST_PG if set;
 * else the machine's server at 127.0.0.1:5432 if it answers; else an embedded PostgreSQL for this run only.
 */
import { answers, MACHINE_PG_URL, startRunServer } from './embedded-postgres.js';

const say = (line: string) => process.stderr.write(`# PostgreSQL for the tests: ${line}\n`);

if (process.env.BLINDLINK_TEST_PG) {
  say('the server BLINDLINK_TEST_PG names');
} else if (await answers('127.0.0.1', 5432)) {
  say(`the machine's server, ${MACHINE_PG_URL}`);
} else {
  const started = Date.now();
  // Our parent is tap's runner, which is also the test files' parent: they find the server by its pid.
  const server = await startRunServer(process.ppid);
  say(`none answers at 127.0.0.1:5432; embedded PostgreSQL started at ${server.url} in ${Date.now() - started} ms`);
}
