import type { FastifyInstance } from 'fastify';
import Type from 'typebox';
import { Slug, UsernameParams } from '@blindlink/protocol';
import type { PersonRole } from '../../db/schema.js';
import { listAgencies, registerAgency, revokeAgency } from '../../services/manage-agencies.js';
import { addPerson, listPeople, PERSON_ROLES, unlockPerson } from '../../services/manage-people.js';
import { listPolicies, loadPolicy } from '../../services/policy-versions.js';
import type { RouteDeps } from '../route-deps.js';
import { formProblem } from './form-problem.js';
import { requirePerson } from './session.js';

const AgencyParams = Type.Object({ agency: Slug }, { additionalProperties: false });
const CsrfOnly = Type.Object({ _csrf: Type.String({ maxLength: 200 }) }, { additionalProperties: false });
const NewAgencyForm = Type.Object(
  { _csrf: Type.String({ maxLength: 200 }), agency: Slug, name: Type.String({ minLength: 1, maxLength: 200 }) },
  { additionalProperties: false },
);
/**
 * Loose on purpose: the username and role are checked by the service (accounts.ts), whose messages name
 * the field, so the form can show them; a checkbox sends one purpose as a string, several as an array.
 */
const PersonForm = Type.Object(
  {
    _csrf: Type.String({ maxLength: 200 }),
    username: Type.String({ maxLength: 200 }),
    role: Type.Optional(Type.String({ maxLength: 20 })),
    purposes: Type.Optional(Type.Union([Slug, Type.Array(Slug, { uniqueItems: true, maxItems: 100 })])),
  },
  { additionalProperties: false },
);
const PolicyForm = Type.Object(
  { _csrf: Type.String({ maxLength: 200 }), yaml: Type.String({ minLength: 1, maxLength: 60_000 }) },
  { additionalProperties: false },
);

/** Certificates expiring within this many days are flagged on the agencies page. */
const EXPIRY_WARNING_DAYS = 30;

/** The admin's pages: agencies (enrolment, certificates, expiry, revocation), people (add, unlock), policies. */
export async function adminPages(app: FastifyInstance, deps: RouteDeps): Promise<void> {
  const admin = requirePerson(app, deps.db, 'admin');

  const agenciesPage = async (extra: Record<string, unknown> = {}) => {
    const now = Date.now();
    const agencies = (await listAgencies(deps)).map((a) => ({
      ...a,
      certificates: a.certificates.map((c) => ({
        ...c,
        state: c.revokedAt
          ? 'revoked'
          : c.notAfter.getTime() <= now
            ? 'expired'
            : c.notAfter.getTime() - now < EXPIRY_WARNING_DAYS * 86_400_000
              ? 'expiring'
              : 'live',
      })),
    }));
    return { agencies, ...extra };
  };

  app.get('/agencies', { onRequest: admin, config: { audit: { action: 'console.agencies' } } }, async (_r, reply) =>
    reply.page('agencies.njk', await agenciesPage()),
  );

  app.post(
    '/agencies',
    {
      onRequest: admin,
      preHandler: app.csrfProtection,
      config: { audit: { action: 'agency.register' } },
      schema: { body: NewAgencyForm },
    },
    async (request, reply) => {
      const { agency, name } = request.body as { agency: string; name: string };
      const code = await registerAgency(deps, { agency, name }, request.audit);
      // The one-time code is shown once, on this page, as the CLI prints it once: never stored in the clear.
      reply.header('cache-control', 'no-store');
      return reply.code(201).page('agencies.njk', await agenciesPage({ enrolment: code }));
    },
  );

  app.post(
    '/agencies/:agency/revoke',
    {
      onRequest: admin,
      preHandler: app.csrfProtection,
      config: { audit: { action: 'agency.revoke' } },
      schema: { params: AgencyParams, body: CsrfOnly },
    },
    async (request, reply) => {
      await revokeAgency(deps, (request.params as { agency: string }).agency, request.audit);
      return reply.redirect('/agencies', 303);
    },
  );

  // The purposes an analyst can be assigned to: those a loaded policy governs.
  const peoplePage = async (extra: Record<string, unknown> = {}) => {
    const purposes = [...new Set((await listPolicies(deps)).policies.map((p) => p.purpose))].sort();
    return { people: await listPeople(deps), roles: PERSON_ROLES, purposes, ...extra };
  };

  app.get('/people', { onRequest: admin, config: { audit: { action: 'console.people' } } }, async (_r, reply) =>
    reply.page('people.njk', await peoplePage()),
  );

  app.post(
    '/people',
    {
      onRequest: admin,
      preHandler: app.csrfProtection,
      config: { audit: { action: 'person.add' } },
      schema: { body: PersonForm },
    },
    async (request, reply) => {
      const form = request.body as { username: string; role?: string; purposes?: string | string[] };
      const purposes = [form.purposes ?? []].flat();
      const asked = { username: form.username, role: (form.role ?? '') as PersonRole, purposes };
      try {
        const added = await addPerson(deps, request.user, asked, request.audit);
        // The generated password is shown once, on this page, as the API returns it and the CLI prints
        // it once: the broker keeps only its hash, and no cache may keep the page.
        reply.header('cache-control', 'no-store');
        return reply.code(201).page('people.njk', await peoplePage({ added }));
      } catch (err) {
        const problem = formProblem(err, request.audit, 'username');
        if (!problem) throw err;
        return reply.code(problem.status).page('people.njk', await peoplePage({ problem, form: asked }));
      }
    },
  );

  app.post(
    '/people/:username/unlock',
    {
      onRequest: admin,
      preHandler: app.csrfProtection,
      config: { audit: { action: 'person.unlock' } },
      schema: { params: UsernameParams, body: CsrfOnly },
    },
    async (request, reply) => {
      await unlockPerson(deps, (request.params as { username: string }).username, request.audit);
      return reply.redirect('/people', 303);
    },
  );

  app.get(
    '/policies/load',
    { onRequest: admin, config: { audit: { action: 'console.policy-load' } } },
    async (_r, reply) => reply.page('policy-load.njk'),
  );

  app.post(
    '/policies/load',
    {
      onRequest: admin,
      preHandler: app.csrfProtection,
      config: { body: 'policy', audit: { action: 'policy.load' } },
      schema: { body: PolicyForm },
    },
    async (request, reply) => {
      const loaded = await loadPolicy(deps, request.user, (request.body as { yaml: string }).yaml, request.audit);
      return reply.redirect(`/policies/${loaded.id}/versions/${loaded.version}`, 303);
    },
  );
}
