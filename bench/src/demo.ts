/**
 * `npm run demo`: the whole path on the embedded database, with synthetic agencies. Everything here
 * is what an operator and two data officers would do, through the same library calls the CLIs use.
 */
import { readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'csv-parse/sync';
import { BrokerClient, BrokerError, enrol, encodeCsv, readEncodedFile, readTokenMap } from '@blindlink/agency-client';
import { synthCommand } from '@blindlink/agency-client/synth';
import { addPerson, approvePolicy, createLogger, generatePassword, registerAgency, startBroker, storePolicy, verifyAuditChain } from '@blindlink/broker';
import { parsePolicy } from '@blindlink/policies';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const WORK = resolve(process.env.BLINDLINK_DEMO_DIR ?? join(ROOT, '.blindlink-demo'));
const PERSONS = Number(process.env.BLINDLINK_DEMO_PERSONS ?? 3000);
const PURPOSE = 'community-safety';

const t0 = Date.now();
const step = (msg: string) => process.stdout.write(`[${((Date.now() - t0) / 1000).toFixed(1).padStart(5)} s] ${msg}\n`);

function csvRows(path: string): Record<string, string>[] {
  return parse(readFileSync(path), { columns: true, bom: true }) as Record<string, string>[];
}

async function main(): Promise<void> {
  rmSync(WORK, { recursive: true, force: true });
  mkdirSync(WORK, { recursive: true });

  step(`generating a synthetic population of ${PERSONS} with agency extracts`);
  const data = join(WORK, 'agencies');
  await synthCommand({ persons: PERSONS, seed: 'blindlink-demo', out: data, agencies: ['council_tax', 'police'] }, { info: () => {} });

  step('starting the broker on the embedded database (PGlite)');
  const broker = await startBroker({ dataDir: join(WORK, 'broker'), logger: createLogger('warn') });
  try {
    const policy = parsePolicy(readFileSync(join(ROOT, 'policies/examples/community-safety.yaml'), 'utf8'));
    await storePolicy(broker.db, policy, 'admin:ada');
    await addPerson(broker.db, { username: 'iona', role: 'ig-lead', password: generatePassword(), createdBy: 'demo' });
    await approvePolicy(broker.db, policy.document.id, policy.document.version, 'iona');
    step(`broker at ${broker.url}; policy ${policy.document.id} v${policy.document.version} loaded by an admin and approved by IG lead iona`);

    // Each agency enrols once: one-time code from the admin, CSR and signing key generated locally.
    const keyDirs: Record<string, string> = {};
    for (const agency of ['council-tax', 'police']) {
      const { enrolmentCode } = await registerAgency(broker.db, agency, agency);
      keyDirs[agency] = join(WORK, `${agency}-keys`);
      await enrol({ baseUrl: broker.url, keyDir: keyDirs[agency], agency, code: enrolmentCode, caPem: broker.caCertificate });
    }
    step('council-tax and police enrolled: client certificates issued by the broker CA, signing keys registered');
    const client = (agency: string) => new BrokerClient(broker.url, keyDirs[agency]!);

    // The secret is shared by the agencies only; the broker never sees it.
    const secretFile = join(WORK, 'linkage.secret');
    writeFileSync(secretFile, 'demo secret: agencies agree this out of band, never the broker\n', { mode: 0o600 });
    const secret = readFileSync(secretFile).subarray(0, -1);

    const sources = [
      { agency: 'council-tax', file: 'council_tax', ignore: ['ward', 'band', 'single_person_discount'] },
      { agency: 'police', file: 'police', ignore: ['ward', 'incident_ref', 'incident_date', 'offence_category', 'role', 'criterion'] },
    ];
    for (const s of sources) {
      const out = join(WORK, `${s.file}.enc`);
      const summary = await encodeCsv({ input: join(data, `${s.file}.csv`), out, secret, schema: 'uk-person', map: {}, idColumn: 'record_id', ignore: s.ignore, onInvalid: 'skip' });
      const rejected = Object.values(summary.rejected).reduce((a, b) => a + b, 0);
      step(`${s.agency}: encoded ${summary.encoded} of ${summary.rows} rows locally (${rejected} rejected by validation)`);
      const { body, digest } = readEncodedFile(out);
      const c = client(s.agency);
      const r = await c.submit(PURPOSE, body, `file-${digest.slice(0, 48)}`);
      c.close();
      step(`${s.agency}: signed, sealed and submitted ${r.recordCount} encodings over mutual TLS (submission ${r.submissionId.slice(0, 8)}…)`);
    }

    const ct = client('council-tax');
    const run = await ct.startRun(PURPOSE);
    step(`linkage run ${run.status}: ${run.sources} sources, ${run.matchedPairs} matched pairs${run.error ? ` (${run.error})` : ''}`);

    const answer = await ct.membership(PURPOSE, 'police');
    const tokens = readTokenMap(join(WORK, 'council_tax.enc.tokens.csv'));
    const known = new Set(answer.answers.filter((a) => a.known).map((a) => tokens.get(a.token)!));
    step(`council-tax asked "known to police?": ${known.size} of ${answer.answers.length} yes (policy ${answer.policy.id} v${answer.policy.version}, rule ${answer.policy.rule})`);

    // Quality against the synthetic ground truth: which council-tax records' persons the police hold.
    const truth = csvRows(join(data, 'truth/records.csv'));
    const policePersons = new Set(truth.filter((r) => r.agency === 'police').map((r) => r.person_id));
    const ctTruth = truth.filter((r) => r.agency === 'council_tax' && tokens.size > 0);
    const answered = new Set(tokens.values());
    let tp = 0, fp = 0, fn = 0;
    for (const r of ctTruth) {
      if (!answered.has(r.record_id!)) continue;
      const isKnown = policePersons.has(r.person_id!);
      const said = known.has(r.record_id!);
      if (said && isKnown) tp++;
      else if (said) fp++;
      else if (isKnown) fn++;
    }
    const precision = tp / Math.max(tp + fp, 1);
    const recall = tp / Math.max(tp + fn, 1);
    step(`quality against ground truth: precision ${precision.toFixed(3)}, recall ${recall.toFixed(3)} (${tp} true, ${fp} false yes, ${fn} missed)`);

    ct.close();
    const police = client('police');
    try {
      await police.membership(PURPOSE, 'council-tax');
      throw new Error('the broker released something the policy does not permit');
    } catch (err) {
      if (!(err instanceof BrokerError)) throw err;
      step(`police asked "known to council tax?": refused, ${err.status} ${err.code}: ${err.message}`);
    } finally {
      police.close();
    }

    const audit = await verifyAuditChain(broker.db);
    if (audit.broken) throw new Error(`audit chain broken at row ${audit.broken.seq}`);
    step(`audit trail verified: ${audit.rows} rows, hash chain intact`);
    step(`done. Files are in ${WORK}`);
  } finally {
    await broker.close();
  }
}

main().catch((err) => {
  process.stderr.write(`demo failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
