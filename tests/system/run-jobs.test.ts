import t from 'tap';
import { inlineEngine, threadEngine, type EngineSource } from '@blindlink/broker';
import { call, runToEnd, submitAs, testBroker, tokenFor, upload } from '../helpers/in-process.js';

/**
 * Runs are jobs: POST …/runs answers 202 at once with the run id, a worker links it off the API's event
 * loop (graphile-worker on PostgreSQL, the owner's runner on PGlite, the engine in a worker thread in
 * both), and GET …/runs/:id follows it. While a run is linked, the API keeps answering.
 */

// Records a source: enough that linking takes a few seconds (decrypting, blocking, storing 2 × RECORDS).
const RECORDS = 3_000;

function engineSource(name: string, n: number, seed: number): EngineSource {
  const u = upload(n, seed);
  return {
    name,
    duplicateFree: false,
    tokens: u.records.map((r) => r.token),
    clkBits: 1024,
    clks: u.records.map((r) => new Uint8Array(Buffer.from(r.clk, 'base64'))),
    fieldSpecs: [],
    fieldMasks: new Array(n).fill(0),
    fields: new Array(n).fill(null),
    blocks: new Array(n).fill(null),
  };
}

t.test(
  'the engine in a worker thread: progress by callback, stage by stage, and the same result as inline',
  async (t) => {
    // Two sources sharing 50 records, so some link.
    const a = engineSource('a', 300, 7);
    const b = engineSource('b', 300, 7);
    const input = { sources: [a, b], previous: null, opts: { diceThreshold: 0.8, runId: 'thread-test' } };
    const stages: string[] = [];
    const threaded = await threadEngine(input, (p) => stages.push(p.stage));
    t.same(stages, ['blocking', 'scoring', 'entities', 'households', 'done'], 'progress reported as each stage starts');
    const inline = await inlineEngine(input, () => {});
    // Entity ids are minted afresh each run: compare the partitions (which records share an entity).
    const partition = (ids: string[]) => {
      const groups = new Map<string, number[]>();
      ids.forEach((id, g) => {
        groups.set(id, [...(groups.get(id) ?? []), g]);
      });
      return [...groups.values()].map((m) => m.join(',')).sort();
    };
    t.same(
      partition(threaded.entityIds),
      partition(inline.entityIds),
      'the thread links exactly as the engine inline does',
    );
    t.equal(threaded.stats.records, 600);
    t.ok(threaded.stats.entities < 600, `identical records linked (${threaded.stats.entities} entities)`);
  },
);

for (const storage of ['postgres', 'pglite'] as const) {
  t.test(`${storage}: a run is a job; the API answers while it is linked`, async (t) => {
    const b = await testBroker(t, storage);
    for (const [agency, seed] of [
      ['alpha', 1],
      ['beta', 1],
    ] as const) {
      const r = await submitAs(b, agency, upload(RECORDS, seed), `run-jobs-${agency}`);
      t.equal(r.status, 201, `${agency} submitted: ${r.text.slice(0, 200)}`);
    }
    const token = await tokenFor(b, 'alpha');
    const queued = await call(b, 'POST', '/v1/purposes/testing/runs', { as: 'alpha', token });
    t.equal(queued.status, 202, `queued at once: ${queued.text.slice(0, 200)}`);
    t.match(queued.json, {
      status: 'queued',
      sources: 2,
      purpose: 'testing',
      statusUrl: `/v1/purposes/testing/runs/${queued.json.runId}`,
    });

    // Health checks and status reads while the run is linked: each answered while it still runs.
    const seen = new Set<string>();
    let answeredWhileLinking = 0;
    let last: { status: string } | undefined;
    for (;;) {
      const health = await call(b, 'GET', '/healthz');
      if (health.status !== 200) t.fail(`/healthz answered ${health.status}`);
      const s = await call(b, 'GET', `/v1/purposes/testing/runs/${queued.json.runId}`, { as: 'alpha', token });
      if (s.status !== 200) {
        t.fail(`status route: ${s.text.slice(0, 200)}`);
        break;
      }
      last = s.json;
      seen.add(s.json.status);
      if (s.json.status === 'completed' || s.json.status === 'failed') break;
      if (s.json.status === 'running') answeredWhileLinking++;
      await new Promise((r) => setTimeout(r, 50));
    }
    t.ok(
      answeredWhileLinking > 0,
      `/healthz and the status route answered ${answeredWhileLinking} times while the run was being ` +
        `linked (statuses seen: ${[...seen].join(', ')})`,
    );
    t.match(
      last,
      {
        status: 'completed',
        stage: 'done',
        attempt: 1,
        sources: 2,
        mode: 'full',
        progress: { recordsLoaded: 2 * RECORDS },
      },
      'completed, with its counts',
    );
    const progress = (last as unknown as { progress: Record<string, number> }).progress;
    t.ok(
      progress.entities! > 0 &&
        progress.entities! <= 2 * RECORDS &&
        progress.candidatePairs! >= 0 &&
        progress.pairsScored === progress.candidatePairs,
      `progress: ${JSON.stringify(progress)}`,
    );
    const stored = await b.db
      .selectFrom('run_record')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('run_id', '=', queued.json.runId)
      .executeTakeFirstOrThrow();
    t.equal(Number(stored.n), 2 * RECORDS, 'every record stored once');

    // Following a run: only the purpose's own, and a clear 4xx otherwise.
    const unknown = await call(b, 'GET', '/v1/purposes/testing/runs/00000000-0000-4000-8000-000000000000', {
      as: 'alpha',
      token,
    });
    t.match(unknown, { status: 404, json: { error: { code: 'not-found' } } }, 'an unknown run is 404');
    const malformed = await call(b, 'GET', '/v1/purposes/testing/runs/not-a-uuid', { as: 'alpha', token });
    t.equal(malformed.status, 400, 'a malformed run id is 400');
    const outsider = await call(b, 'GET', `/v1/purposes/testing/runs/${queued.json.runId}`, {
      as: 'gamma',
      token: await tokenFor(b, 'gamma'),
    });
    t.equal(outsider.status, 403, 'an agency that does not contribute cannot follow the run');

    // A second run, waited for as the client does: incremental, and nothing changed.
    const again = await runToEnd(b, 'testing', { as: 'beta', token: await tokenFor(b, 'beta') });
    t.match(
      again,
      { status: 202, json: { status: 'completed', mode: 'incremental' } },
      'the next run continues the first',
    );
  });
}
