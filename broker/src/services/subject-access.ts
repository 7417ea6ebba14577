import type { SubjectAccessRule } from '@blindlink/policies';
import { ProtocolError, type SubjectAccessRequest, type SubjectAccessResponse } from '@blindlink/protocol';
import { releaseDigest } from '../audit/chain.js';
import { judgeRelease, refusal } from '../governance/judge.js';
import { checkCompatible } from '../linkage/prepare.js';
import { matchSubject } from '../linkage/subject-match.js';
import type { EngineSource } from '../linkage/types.js';
import { runForRequester } from '../releases/run-view.js';
import { ledgerCompleteSince, personAcrossRuns, releasesAbout } from '../releases/subject-ledger.js';
import { subjectPseudonymiser } from '../releases/subjects.js';
import { loadSource } from '../runs/load.js';
import { decodeModel } from '../runs/state.js';
import { requireKeyCheck } from '../submissions/key-check.js';
import { decodeRecords } from '../submissions/validate.js';
import { type AuditNote, noteDecision } from './audit-note.js';
import type { ServiceDeps } from './deps.js';

/** Requests per agency per 24 hours when the rule sets no `perDay`. */
export const SUBJECT_ACCESS_PER_DAY = 20;

/**
 * Subject access (docs/rights.md): the asking agency's encoding of a resident, compared with that
 * agency's own records in the latest run only (a person it does not hold is "not matched", whoever
 * else holds them), and for the entity of the best match: the runs still held that included them and
 * the releases the subject ledger records as about them. Never any record, token or value of another
 * agency; no score, so a near miss looks like any other miss.
 */
export async function subjectAccess(
  { db, keys, pseudonymKey }: Pick<ServiceDeps, 'db' | 'keys' | 'pseudonymKey'>,
  { purpose, requester, request }: { purpose: string; requester: string; request: SubjectAccessRequest },
  audit: AuditNote,
): Promise<SubjectAccessResponse> {
  const { decision } = await judgeRelease(db, purpose, { requester, form: 'subject-access' });
  noteDecision(audit, decision);
  if (!decision.allow) throw refusal(decision);
  const rule = decision.grant as SubjectAccessRule;
  await checkRate(db, requester, rule.perDay ?? SUBJECT_ACCESS_PER_DAY);

  const { run, mine } = await runForRequester(db, purpose, requester);
  const sub = await db.selectFrom('submission').selectAll().where('id', '=', mine.id).executeTakeFirstOrThrow();
  const query = queryRecord(request, sub);
  const state = await db.selectFrom('run_state').select('model').where('run_id', '=', run.id).executeTakeFirst();
  if (!state)
    throw new ProtocolError('run-outdated', `run ${run.id} holds no stored model to compare with; start a run`);
  const own = await loadSource(db, keys, sub, { name: requester, duplicateFree: false });
  const match = matchSubject(query, own, decodeModel(state.model));

  const body: SubjectAccessResponse = {
    purpose,
    runId: run.id,
    policy: { id: decision.policyId, version: decision.policyVersion, rule: decision.rule },
    matched: match !== null,
    runs: [],
    releases: [],
    // Releases before this were not recorded by person: the list cannot be complete for them.
    releasesCompleteSince: (await ledgerCompleteSince(db)).toISOString(),
  };
  if (match) {
    const token = own.tokens[match.record]!;
    const { entity_id: entityId } = await db
      .selectFrom('run_record')
      .select('entity_id')
      .where('run_id', '=', run.id)
      .where('submission_id', '=', mine.id)
      .where('row_token', '=', token)
      .executeTakeFirstOrThrow();
    const pseudonym = subjectPseudonymiser(pseudonymKey, purpose);
    const places = await personAcrossRuns(db, purpose, { runId: run.id, entityId });
    const held = new Set(places.map((p) => p.run.id));
    const wanted = new Set(places.map((p) => `${p.run.id} ${pseudonym(p.entityId)}`));
    const current = pseudonym(entityId);
    const rows = await releasesAbout(db, [...new Set([current, ...places.map((p) => pseudonym(p.entityId))])]);
    // A run still held: the entity the person was in then. A purged run: their stable id is all there is.
    const about = rows.filter((r) =>
      held.has(r.run_id) ? wanted.has(`${r.run_id} ${r.subject}`) : r.subject === current,
    );
    body.token = token;
    body.runs = [...new Map(places.map((p) => [p.run.id, p.run])).values()].map((r) => ({
      runId: r.id,
      startedAt: r.started_at.toISOString(),
      finishedAt: r.finished_at?.toISOString() ?? null,
      mode: r.mode,
    }));
    body.releases = about.map((r) => ({
      auditSeq: r.audit_seq,
      at: r.at.toISOString(),
      requester: r.actor,
      form: r.action.replace(/^release\./, ''),
      runId: r.run_id,
      policy: { id: r.policy_id ?? '', version: r.policy_version ?? 0, rule: r.policy_rule ?? '' },
    }));
  }
  audit.counts = { matched: body.matched ? 1 : 0, runs: body.runs.length, releases: body.releases.length };
  audit.releaseDigest = releaseDigest(body);
  audit.reason = `${decision.reason}; ${body.matched ? 'matched one of its records' : 'no match'}`;
  return body;
}

/** At most `perDay` answered requests per agency in 24 hours: probing many people is slow and stands out. */
async function checkRate(db: Pick<ServiceDeps, 'db'>['db'], requester: string, perDay: number): Promise<void> {
  const since = new Date(Date.now() - 86_400_000);
  const { n } = await db
    .selectFrom('audit_log')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('actor', '=', `agency:${requester}`)
    .where('action', '=', 'subject-access')
    .where('decision', '=', 'allowed')
    .where('at', '>', since)
    .executeTakeFirstOrThrow();
  if (Number(n) >= perDay)
    throw new ProtocolError(
      'rate-limited',
      `${requester} has made ${n} subject access requests in the last 24 hours, the most its rule allows (${perDay})`,
    );
}

/** The resident's encoding as the engine's one-record source, checked against the agency's submission. */
function queryRecord(
  { header, record }: SubjectAccessRequest,
  sub: { schema_fingerprint: string; key_check: string | null; clk_bits: number; header: unknown },
): EngineSource {
  if (header.schema.fingerprint !== sub.schema_fingerprint)
    throw new ProtocolError(
      'invalid-encoding',
      'the resident was encoded with another schema than the submission in the latest run; encode with the same one',
      { field: 'header.schema' },
    );
  const keyCheck = requireKeyCheck(header);
  if (sub.key_check && keyCheck !== sub.key_check)
    throw new ProtocolError(
      'linkage-secret-mismatch',
      "the resident was encoded with a different linkage secret than the agency's submission",
      { field: 'header.keyCheck' },
    );
  const decoded = decodeRecords({ ...header, recordCount: 1 }, [record]);
  const source: EngineSource = {
    name: 'subject',
    duplicateFree: false,
    tokens: decoded.tokens,
    clkBits: header.clkBits,
    clks: decoded.clks,
    fieldSpecs: header.fieldFilters ?? [],
    fieldMasks: decoded.fieldMasks,
    fields: decoded.fields,
    blocks: decoded.blocks,
  };
  const stored = (sub.header ?? {}) as { fieldFilters?: EngineSource['fieldSpecs'] };
  try {
    checkCompatible([source, { name: 'submission', clkBits: sub.clk_bits, fieldSpecs: stored.fieldFilters ?? [] }]);
  } catch (err) {
    throw new ProtocolError('invalid-encoding', (err as Error).message, { field: 'header' });
  }
  return source;
}
