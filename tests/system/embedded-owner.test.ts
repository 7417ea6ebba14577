import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { hostname } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { operatorSetup } from '../helpers/operator-setup.js';
import { BROKER_BIN, run, startBrokerProcess } from '../helpers/processes.js';

/**
 * One owner of the embedded database (PGlite), with real processes: the README's order — `serve` in
 * the background, then the operator's commands — works through the broker's socket, and a person the
 * operator just added logs in; a second `serve` on the same data dir is refused, naming the first; a
 * lock left by a dead process is taken over; one held by a live process that does not serve is
 * refused at once, naming it.
 */

const embedded = { DATABASE_URL: undefined };

function login(
  url: string,
  caPem: string,
  username: string,
  password: string,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const body = JSON.stringify({ username, password });
    const req = request(
      new URL('/v1/login', url),
      {
        method: 'POST',
        ca: caPem,
        headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) },
      },
      (res) => {
        let text = '';
        res.on('data', (d) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

t.test('serve owns the embedded database; operator commands go through it', async (t) => {
  const dir = t.testdir({});
  const dataDir = join(dir, 'data');
  const broker = await startBrokerProcess(['--data-dir', dataDir], embedded);
  t.teardown(() => broker.stop('SIGKILL'));
  const lock = JSON.parse(readFileSync(join(dataDir, 'embedded.lock'), 'utf8'));
  t.match(lock, { pid: broker.child.pid, command: 'serve' }, 'serve holds the lock, with its pid');
  t.ok(lock.socketDir, 'and names the socket it serves the database on');

  // The README's order: serve first, then the operator's commands, then a login.
  await operatorSetup(t, dir, dataDir, embedded);
  const added = await run(BROKER_BIN, ['user', 'add', 'ada', '--role', 'admin', '--data-dir', dataDir], {
    env: embedded,
  });
  t.equal(added.code, 0, `user add while serve runs: ${added.stderr}`);
  const { password } = JSON.parse(added.stdout);
  const caPem = readFileSync(join(dataDir, 'keys', 'ca.cert.pem'), 'utf8');
  const session = await login(broker.url, caPem, 'ada', password);
  t.equal(session.status, 200, `the person just added logs in: ${session.body.slice(0, 120)}`);

  const second = await run(BROKER_BIN, ['serve', '--port', '0', '--data-dir', dataDir], { env: embedded });
  t.equal(second.code, 1, 'a second serve on the same data dir exits 1');
  t.match(
    second.stderr,
    new RegExp(`already served by broker process ${broker.child.pid}`),
    `and names the first: ${second.stderr.trim()}`,
  );

  await broker.stop('SIGTERM');
  t.notOk(existsSync(join(dataDir, 'embedded.lock')), 'a stopped broker leaves no lock');
  const after = await run(BROKER_BIN, ['user', 'add', 'bea', '--role', 'analyst', '--data-dir', dataDir], {
    env: embedded,
  });
  t.equal(after.code, 0, `with no broker, a command opens the database itself: ${after.stderr}`);
  t.notOk(existsSync(join(dataDir, 'embedded.lock')), 'and lets go of it');
});

t.test('a stale lock is taken over; a live holder that does not serve is refused at once', async (t) => {
  const dir = t.testdir({});
  const dataDir = join(dir, 'data');
  const first = await run(BROKER_BIN, ['agency', 'register', 'police', '--data-dir', dataDir], { env: embedded });
  t.equal(first.code, 0, first.stderr);

  const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
  const stale = { pid: dead, host: hostname(), command: 'user add', since: new Date().toISOString(), socketDir: null };
  writeFileSync(join(dataDir, 'embedded.lock'), JSON.stringify(stale));
  const taken = await run(BROKER_BIN, ['agency', 'register', 'council-tax', '--data-dir', dataDir], { env: embedded });
  t.equal(taken.code, 0, `a lock whose process is dead is taken over: ${taken.stderr}`);

  // This test's own process: alive, and serving nothing.
  const live = { ...stale, pid: process.pid, command: 'policy load' };
  writeFileSync(join(dataDir, 'embedded.lock'), JSON.stringify(live));
  const refused = await run(BROKER_BIN, ['agency', 'register', 'schools', '--data-dir', dataDir], { env: embedded });
  t.equal(refused.code, 1, 'refused');
  t.match(
    refused.stderr,
    new RegExp(`in use by process ${process.pid} on ${hostname()} \\(policy load`),
    `naming the holder: ${refused.stderr.trim()}`,
  );
  t.match(refused.stderr, /wait for it to finish or stop it/, 'and saying what to do');
  t.same(
    JSON.parse(readFileSync(join(dataDir, 'embedded.lock'), 'utf8')),
    live,
    "the live holder's lock is left alone",
  );
});
