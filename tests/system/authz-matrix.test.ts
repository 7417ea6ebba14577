import { createHash } from 'node:crypto';
import t from 'tap';
import { loadOrCreateAgencySigningKey, sealSubmission } from '@blindlink/agency-client/identity';
import { UPLOAD_MANIFEST_SIGNATURE_CONTEXT } from '@blindlink/protocol';
import { verifyAuditChain } from '@blindlink/broker';
import {
  call,
  POLICY_YAML,
  seal,
  testBroker,
  upload,
  type CallOptions,
  type TestBroker,
} from '../helpers/in-process.js';
import {
  CALLER_KINDS,
  makeCallers,
  registerSpareAgency,
  type Caller,
  type CallerKind,
  type RoleKind,
} from '../helpers/callers.js';
import { fillPath, listRoutes, routeKey } from '../helpers/routes.js';

/**
 * Every route × every kind of caller, with the answer each must get. The routes come from the app
 * itself: a route added without a row here fails this test.
 *
 * 'pass' means authorised: not 401/403 and not 5xx (a 2xx, or a 4xx from validation or state).
 * 'refused' means 401 or 403: an agency token over a bad certificate on a route that no agency may
 * use is refused either way (the role is checked before the certificate).
 */
type Expect = 'pass' | 'refused' | 303 | 400 | 401 | 403;
type Expectations = Record<CallerKind, Expect>;

interface Row {
  expect: Expectations;
  /** Values for the route's :params. */
  params?: Record<string, string>;
  /** A well-formed request, so that authorisation, not validation, decides the answer. n is unique per call. */
  request?: (b: TestBroker, n: number) => Promise<Pick<CallOptions, 'body' | 'raw' | 'headers'>>;
  /**
   * A console page (http/console/): the caller's token travels as the session cookie, not a bearer
   * header, and a POST is a form carrying a valid CSRF token with these fields.
   */
  console?: { form?: (n: number) => Record<string, string> };
  /** The path to request, where the pattern has no :params to fill (a static wildcard). */
  path?: string;
}

const same = (e: Expect): Expectations => Object.fromEntries(CALLER_KINDS.map((k) => [k, e])) as Expectations;

/** Only these roles may call; everyone else is refused, unauthenticated callers with 401. */
function onlyRoles(...allowed: RoleKind[]): Expectations {
  const agencyRoute = allowed.includes('agency');
  return {
    none: 401,
    expired: 401,
    forged: 401,
    revoked: agencyRoute ? 401 : 'refused',
    wrongAgency: agencyRoute ? 401 : 'refused',
    agency: agencyRoute ? 'pass' : 403,
    analyst: allowed.includes('analyst') ? 'pass' : 403,
    igLead: allowed.includes('igLead') ? 'pass' : 403,
    admin: allowed.includes('admin') ? 'pass' : 403,
  };
}

/**
 * Only these people may open the console page; without a valid session (none, expired, forged) the
 * browser is sent to sign in (303), and an agency's token in the cookie is refused (403).
 */
function onlyPeople(...allowed: Exclude<RoleKind, 'agency'>[]): Expectations {
  return {
    ...onlyRoles(...allowed),
    none: 303,
    expired: 303,
    forged: 303,
    revoked: 403,
    wrongAgency: 403,
  };
}
const page = (expect: Expectations, extra: Partial<Row> = {}): Row => ({ expect, console: {}, ...extra });
const form = (
  expect: Expectations,
  fields: (n: number) => Record<string, string> = () => ({}),
  extra: Partial<Row> = {},
): Row => ({
  expect,
  console: { form: fields },
  ...extra,
});

const json = (body: unknown) => async () => ({ body });
const NO_UPLOAD = '00000000-0000-4000-8000-000000000000';

/** A well-formed upload manifest of n-distinct content, signed and sealed as the client does. */
async function sealManifest(b: TestBroker, agency: string, n: number) {
  const { header } = upload(3, n);
  const manifest = {
    purpose: 'testing',
    header,
    chunks: [{ records: 3, sha256: createHash('sha256').update(`matrix ${n}`).digest('hex') }],
    totalRecords: 3,
  };
  const signing = await loadOrCreateAgencySigningKey(b.keyDirs[agency]!);
  return sealSubmission(
    Buffer.from(JSON.stringify(manifest)),
    b.keys.sealingPublicKeyBase64,
    signing.secretKey,
    UPLOAD_MANIFEST_SIGNATURE_CONTEXT,
  );
}
const BAD_CSR = '-----BEGIN CERTIFICATE REQUEST-----\n' + 'A'.repeat(120) + '\n-----END CERTIFICATE REQUEST-----\n';

export const MATRIX: Record<string, Row> = {
  'GET /v1/broker': { expect: same('pass') },
  // Public; with no body the answer is a validation error whoever calls.
  'POST /v1/enrol': { expect: same(400) },
  'POST /v1/login': { expect: same(400) },
  // Authenticated by the client certificate alone: a bearer token, good or bad, is ignored.
  'POST /v1/token': {
    expect: {
      none: 401,
      expired: 'pass',
      forged: 'pass',
      revoked: 401,
      wrongAgency: 'pass',
      agency: 'pass',
      analyst: 401,
      igLead: 401,
      admin: 401,
    },
  },
  // A CSR the broker refuses: the agency gets a 400 and keeps its certificate.
  'POST /v1/certificates/renew': { expect: onlyRoles('agency'), request: json({ csr: BAD_CSR }) },
  'POST /v1/admin/agencies': {
    expect: onlyRoles('admin'),
    request: async (_b, n) => ({ body: { agency: `matrix-${n}`, name: 'Matrix agency' } }),
  },
  'POST /v1/admin/agencies/:agency/enrolment-code': { expect: onlyRoles('admin'), params: { agency: 'delta' } },
  'POST /v1/admin/agencies/:agency/revoke': { expect: onlyRoles('admin'), params: { agency: 'delta' } },
  'POST /v1/admin/people': {
    expect: onlyRoles('admin'),
    request: async (_b, n) => ({ body: { username: `matrix${n}`, role: 'analyst', purposes: ['testing'] } }),
  },
  'POST /v1/admin/people/:username/unlock': { expect: onlyRoles('admin'), params: { username: 'iggy' } },
  'POST /v1/admin/policies': {
    expect: onlyRoles('admin'),
    request: async () => ({ raw: POLICY_YAML, headers: { 'content-type': 'application/yaml' } }),
  },
  'GET /v1/policies': { expect: onlyRoles('igLead', 'admin') },
  'POST /v1/policies/:id/versions/:version/approval': {
    expect: onlyRoles('igLead'),
    params: { id: 'test-policy', version: '1' },
  },
  // A purpose's privacy report: IG leads (before approving) and admins; never agencies or analysts.
  'GET /v1/purposes/:purpose/privacy-report': { expect: onlyRoles('igLead', 'admin'), params: { purpose: 'testing' } },
  'POST /v1/purposes/:purpose/submissions': {
    expect: onlyRoles('agency'),
    params: { purpose: 'testing' },
    request: async (b, n) => ({
      body: await seal(b, 'alpha', upload(3, n)),
      headers: { 'idempotency-key': `matrix-key-${n}` },
    }),
  },
  // Chunked uploads: the agency's own. Its manifest opens an upload; the chunk, status and commit
  // rows name an upload that does not exist, so the agency passes the role check and gets a 404.
  'POST /v1/purposes/:purpose/uploads': {
    expect: onlyRoles('agency'),
    params: { purpose: 'testing' },
    request: async (b, n) => ({
      body: await sealManifest(b, 'alpha', n),
      headers: { 'idempotency-key': `matrix-upload-${n}` },
    }),
  },
  'GET /v1/purposes/:purpose/uploads/:upload': {
    expect: onlyRoles('agency'),
    params: { purpose: 'testing', upload: NO_UPLOAD },
  },
  'PUT /v1/purposes/:purpose/uploads/:upload/chunks/:n': {
    expect: onlyRoles('agency'),
    params: { purpose: 'testing', upload: NO_UPLOAD, n: '0' },
    request: async () => ({ raw: Buffer.alloc(100, 7), headers: { 'content-type': 'application/octet-stream' } }),
  },
  'POST /v1/purposes/:purpose/uploads/:upload/commit': {
    expect: onlyRoles('agency'),
    params: { purpose: 'testing', upload: NO_UPLOAD },
  },
  'POST /v1/purposes/:purpose/runs': { expect: onlyRoles('agency', 'analyst'), params: { purpose: 'testing' } },
  // Following a run: the same callers as starting one (a run id no one has: 404 for them, 403 for others).
  'GET /v1/purposes/:purpose/runs/:runId': {
    expect: onlyRoles('agency', 'analyst'),
    params: { purpose: 'testing', runId: '00000000-0000-4000-8000-000000000000' },
  },
  // Nightly schedules: analysts assigned to the purpose only (agencies too are refused). The time is
  // hours away so the broker's scheduler never runs it (and appends audit rows) during the test.
  'PUT /v1/purposes/:purpose/schedule': {
    expect: onlyRoles('analyst'),
    params: { purpose: 'testing' },
    request: async () => ({
      body: { at: new Date(Date.now() + 12 * 3600_000).toISOString().slice(11, 16), timeZone: 'UTC' },
    }),
  },
  'GET /v1/purposes/:purpose/schedule': { expect: onlyRoles('analyst'), params: { purpose: 'testing' } },
  'DELETE /v1/purposes/:purpose/schedule': { expect: onlyRoles('analyst'), params: { purpose: 'testing' } },
  'POST /v1/purposes/:purpose/releases/membership': {
    expect: onlyRoles('agency'),
    params: { purpose: 'testing' },
    request: json({ of: 'beta' }),
  },
  // Withdrawal: agencies only (alpha passes, to a 409: it holds no submission in this test).
  'POST /v1/purposes/:purpose/withdrawals': {
    expect: onlyRoles('agency'),
    params: { purpose: 'testing' },
    request: json({ tokens: ['AAAAAAAAAAAAAAAAAAAAAA'] }),
  },
  // Correction: agencies only (alpha passes, to a 400: the body is no sealed envelope).
  'POST /v1/purposes/:purpose/corrections': {
    expect: onlyRoles('agency'),
    params: { purpose: 'testing' },
    request: json({}),
  },
  // Subject access: agencies only; the test policy grants it to none, so the policy refuses alpha.
  'POST /v1/purposes/:purpose/subject-access': {
    expect: { ...onlyRoles('agency'), agency: 403 },
    params: { purpose: 'testing' },
    request: async () => {
      const { header, records } = upload(1);
      return { body: { header, record: records[0] } };
    },
  },
  // Agencies and assigned analysts pass the role check; the test policy grants neither these forms,
  // so the policy engine refuses them (403 policy-refused) — authorisation by policy, after the role.
  ...Object.fromEntries(
    ['pseudonym', 'family-criteria', 'aggregate', 'discrepancy', 'data-quality'].map((form) => [
      `POST /v1/purposes/:purpose/releases/${form}`,
      {
        expect: { ...onlyRoles('agency', 'analyst'), agency: 403, analyst: 403 },
        params: { purpose: 'testing' },
        request: json({}),
      } satisfies Row,
    ]),
  ),
  // Clerical review: agencies only; the test policy grants no clerical-review rule, so the policy refuses.
  'POST /v1/purposes/:purpose/releases/clerical-review': {
    expect: { ...onlyRoles('agency'), agency: 403 },
    params: { purpose: 'testing' },
    request: json({}),
  },
  'POST /v1/purposes/:purpose/review-labels': {
    expect: { ...onlyRoles('agency'), agency: 403 },
    params: { purpose: 'testing' },
    request: json({ labels: [{ reviewId: `rv-${'a'.repeat(22)}`, verdict: 'match' }] }),
  },
  // The audit trail is for IG leads alone: not admins (separation of duties), agencies or analysts.
  'GET /v1/audit': { expect: onlyRoles('igLead') },
  'GET /v1/audit/checkpoints': { expect: onlyRoles('igLead') },
  'GET /v1/audit/export': { expect: onlyRoles('igLead') },
  // The web console (http/console/): sessions in a cookie, forms with CSRF tokens.
  'GET /login': page(same('pass')),
  // No password: a validation error, whoever asks.
  'POST /login': form(same(400), () => ({ username: 'nobody' })),
  'GET /': page(onlyPeople('admin', 'analyst', 'igLead')),
  'GET /transparency': page(same('pass')),
  // The console's static files (@fastify/static's /assets/*): fastify's printRoutes shows that wildcard
  // without its prefix, as /*.
  'GET /*': { expect: same('pass'), path: '/assets/console.css' },
  'GET /policies': page(onlyPeople('igLead', 'admin')),
  'GET /policies/:id/versions/:version': page(onlyPeople('igLead', 'admin'), {
    params: { id: 'test-policy', version: '1' },
  }),
  // Already approved: the approval changes nothing; the refusal is 409 (an approved version cannot be refused).
  'POST /policies/:id/versions/:version/approval': form(onlyPeople('igLead'), () => ({}), {
    params: { id: 'test-policy', version: '1' },
  }),
  'POST /policies/:id/versions/:version/refusal': form(onlyPeople('igLead'), () => ({ reason: 'matrix' }), {
    params: { id: 'test-policy', version: '1' },
  }),
  'GET /policies/load': page(onlyPeople('admin')),
  // The test policy again: unchanged, so nothing is stored.
  'POST /policies/load': form(onlyPeople('admin'), () => ({ yaml: POLICY_YAML })),
  'GET /audit': page(onlyPeople('igLead')),
  'GET /audit/export.csv': page(onlyPeople('igLead')),
  'GET /register.csv': page(onlyPeople('igLead')),
  'GET /register.json': page(onlyPeople('igLead')),
  'GET /purposes': page(onlyPeople('analyst')),
  'GET /purposes/:purpose': page(onlyPeople('analyst'), { params: { purpose: 'testing' } }),
  // A run id no one has: 404 for the analyst, after authorisation.
  'GET /purposes/:purpose/runs/:runId': page(onlyPeople('analyst'), {
    params: { purpose: 'testing', runId: '00000000-0000-4000-8000-000000000000' },
  }),
  // No submission yet: 409 for the analyst, after authorisation.
  'POST /purposes/:purpose/runs': form(onlyPeople('analyst'), () => ({}), { params: { purpose: 'testing' } }),
  // The nightly schedule from the console: the API's authority (the assigned analyst), hours away as above.
  'POST /purposes/:purpose/schedule': form(
    onlyPeople('analyst'),
    () => ({ at: new Date(Date.now() + 12 * 3600_000).toISOString().slice(11, 16), timeZone: 'UTC' }),
    { params: { purpose: 'testing' } },
  ),
  'POST /purposes/:purpose/schedule/remove': form(onlyPeople('analyst'), () => ({}), {
    params: { purpose: 'testing' },
  }),
  // The test policy grants analysts no aggregate: refused by policy after the role check.
  'GET /purposes/:purpose/aggregate': page(
    { ...onlyPeople('analyst'), analyst: 403 },
    { params: { purpose: 'testing' } },
  ),
  'GET /purposes/:purpose/aggregate.csv': page(
    { ...onlyPeople('analyst'), analyst: 403 },
    { params: { purpose: 'testing' } },
  ),
  // Counts from the data-quality releases' audit rows: analysts assigned to the purpose (IG leads see no results).
  'GET /purposes/:purpose/data-quality': page(onlyPeople('analyst'), { params: { purpose: 'testing' } }),
  'GET /agencies': page(onlyPeople('admin')),
  'POST /agencies': form(onlyPeople('admin'), (n) => ({ agency: `console-${n}`, name: 'Console agency' })),
  'POST /agencies/:agency/revoke': form(onlyPeople('admin'), () => ({}), { params: { agency: 'delta' } }),
  'GET /people': page(onlyPeople('admin')),
  'POST /people': form(onlyPeople('admin'), (n) => ({ username: `console${n}`, role: 'analyst', purposes: 'testing' })),
  // iggy is not locked: unlocking changes nothing, and the admin is sent back to the people page.
  'POST /people/:username/unlock': form(onlyPeople('admin'), () => ({}), { params: { username: 'iggy' } }),
  'GET /openapi.json': { expect: same('pass') },
  'GET /healthz': { expect: same('pass') },
  // Last: a person's logout ends every token they hold, so no row may come after it.
  'POST /logout': form(same(303)),
};

const AUTH_CODES = ['unauthenticated', 'token-invalid', 'token-expired', 'forbidden'];

function meets(expect: Expect, status: number): boolean {
  if (status >= 500 || status === 0) return false;
  if (expect === 303) return status === 303;
  if (expect === 'pass') return status !== 401 && status !== 403;
  if (expect === 'refused') return status === 401 || status === 403;
  return status === expect;
}

/** The roles a row admits, to give expired and forged tokens the claims of a caller who would pass. */
function admittedRole(row: Row): RoleKind {
  return (['agency', 'admin', 'igLead', 'analyst'] as const).find((k) => row.expect[k] === 'pass') ?? 'agency';
}

t.test('every route answers every kind of caller as the matrix says', async (t) => {
  const b = await testBroker(t, 'postgres');
  await registerSpareAgency(b, 'delta');
  const callers = await makeCallers(b);

  const routes = listRoutes(b.app);
  const keys = new Set(routes.map(routeKey));

  // The parser must see at least what the OpenAPI document lists, or the completeness check means nothing.
  const openapi = await call(b, 'GET', '/openapi.json');
  const documented = Object.entries(openapi.json.paths as Record<string, Record<string, unknown>>).flatMap(
    ([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path.replace(/\{([^}]+)\}/g, ':$1')}`),
  );
  t.ok(documented.length >= 10, `${documented.length} documented operations`);
  for (const op of documented) t.ok(keys.has(op), `route tree holds documented ${op}`);
  t.ok(keys.has('GET /healthz') && keys.has('GET /openapi.json'), 'and the hidden routes');

  for (const key of keys) {
    const [method] = key.split(' ');
    if (method === 'HEAD') {
      t.ok(keys.has(key.replace(/^HEAD/, 'GET')), `${key} is the automatic HEAD of a GET route (checked with it)`);
      continue;
    }
    t.ok(
      MATRIX[key],
      `${key} is in the authorisation matrix — a new route must be added to MATRIX in ` +
        `tests/system/authz-matrix.test.ts with the expected answer for every kind of caller`,
    );
  }
  for (const key of Object.keys(MATRIX))
    t.ok(keys.has(key), `matrix row ${key} is a route the broker has (remove or rename stale rows)`);

  // A CSRF cookie and its token, as a browser gets them from the sign-in page, for the console's forms.
  const signIn = await call(b, 'GET', '/login');
  const csrfCookie = String(signIn.headers['set-cookie']?.find((c) => c.startsWith('_csrf='))).split(';')[0]!;
  const csrfToken = /name="_csrf" value="([^"]+)"/.exec(signIn.text)![1]!;
  const consoleRequest = (row: Row, caller: Caller, method: string, n: number): CallOptions => {
    const cookies = [...(caller.token ? [`blindlink_session=${caller.token}`] : []), csrfCookie];
    const fields = row.console?.form;
    return {
      ...(caller.as ? { as: caller.as } : {}),
      headers: {
        cookie: cookies.join('; '),
        ...(fields && method === 'POST' ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
      },
      ...(fields && method === 'POST'
        ? { raw: new URLSearchParams({ _csrf: csrfToken, ...fields(n) }).toString() }
        : {}),
    };
  };

  let n = 0;
  let agencySubmissions = 0;
  const auditBefore = (await verifyAuditChain(b.db)).rows;
  let audited = 0;
  for (const [key, row] of Object.entries(MATRIX)) {
    if (!keys.has(key)) continue;
    const [method, pattern] = key.split(' ') as [string, string];
    const path = row.path ?? fillPath(pattern, row.params ?? {});
    const methods = method === 'GET' && keys.has(`HEAD ${pattern}`) ? [method, 'HEAD'] : [method];
    for (const kind of CALLER_KINDS) {
      const role = admittedRole(row);
      const tries: Caller[] =
        kind === 'none'
          ? [{}]
          : kind === 'expired'
            ? callers.expired(role)
            : kind === 'forged'
              ? callers.forged(role)
              : [callers[kind]];
      for (const m of methods) {
        for (const [i, caller] of tries.entries()) {
          const req = row.request ? await row.request(b, ++n) : {};
          const r = await call(
            b,
            m,
            path,
            row.console
              ? consoleRequest(row, caller, m, ++n)
              : {
                  ...(caller.as ? { as: caller.as } : {}),
                  ...(caller.token ? { token: caller.token } : {}),
                  ...req,
                },
          );
          // Static files that were served are not audited (they say nothing about anyone).
          if (path !== '/openapi.json' && path !== '/healthz' && !(path.startsWith('/assets/') && r.status < 400))
            audited++;
          const expect = row.expect[kind];
          const label =
            `${m} ${pattern} as ${kind}${tries.length > 1 ? ` #${i + 1}` : ''}: ` +
            `expected ${expect}, got ${r.status}`;
          t.ok(meets(expect, r.status), label, { body: r.text.slice(0, 300) });
          if (
            row.console &&
            r.status === 403 &&
            m !== 'HEAD' &&
            !/data-error-code="(forbidden|policy-refused)"/.test(r.text)
          )
            t.fail(`${label}: a refused page names its reason (${r.text.slice(0, 200)})`);
          const location = String(r.headers.location);
          if (row.console && r.status === 303 && (expect === 303 ? location !== '/login' : !/^\/(?!\/)/.test(location)))
            t.fail(`${label}: a redirect goes to sign in, or a page of this site (${location})`);
          if (
            !row.console &&
            (r.status === 401 || r.status === 403) &&
            m !== 'HEAD' &&
            !AUTH_CODES.includes(r.json?.error?.code) &&
            r.json?.error?.code !== 'policy-refused'
          ) {
            t.fail(`${label}: a refusal names its reason (${r.text.slice(0, 200)})`);
          }
          if (key === 'POST /v1/purposes/:purpose/submissions' && r.status === 201) agencySubmissions++;
        }
      }
    }
  }

  // Only the callers the matrix admits changed anything: the one agency upload, nothing from the refused.
  const subs = await b.db.selectFrom('submission').select(['id', 'agency', 'record_count']).execute();
  const uploads = await b.db.selectFrom('upload').select(['agency']).execute();
  t.same(
    uploads.map((u) => u.agency),
    ['alpha'],
    'one upload opened, by the agency, and none by a refused caller',
  );
  t.equal(agencySubmissions, 1, "the agency's own upload was stored");
  t.same(
    subs.map((s) => s.agency),
    ['alpha'],
    'and no refused caller stored one',
  );
  const certs = await b.db
    .selectFrom('agency_certificate')
    .select(['agency', 'revoked_at'])
    .where('agency', '=', 'alpha')
    .execute();
  t.ok(
    certs.every((c) => c.revoked_at === null),
    "the refused renewal left alpha's certificate alone",
  );
  // The logout row ran last, as each person: the tokens they held are refused now, not at expiry.
  for (const kind of ['analyst', 'igLead', 'admin'] as const) {
    const token = callers[kind].token!;
    const api = await call(b, 'GET', '/v1/policies', { token });
    t.equal(api.status, 401, `${kind}'s token after logout: the API refuses it`);
    t.equal(api.json?.error?.code, 'token-invalid', 'naming why');
    const page = await call(b, 'GET', '/', { headers: { cookie: `blindlink_session=${token}` } });
    t.equal(page.status, 303, `${kind}'s session cookie after logout: sent to sign in`);
    audited += 2;
  }
  const chain = await verifyAuditChain(b.db);
  t.equal(chain.broken, null, 'the audit chain verifies');
  t.equal(chain.rows - auditBefore, audited, 'every matrix request was audited, refused or not');
});
