/**
 * `blindlink-agency report` through the CLI: a release (family criteria, discrepancy, membership) and
 * the agency's token map and extract → one static HTML page, checked as a parsed DOM: our records
 * with their criteria or flags, every value escaped, nothing fetched from anywhere.
 */
import { chmodSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runInNewContext } from 'node:vm';
import t from 'tap';
import { type DefaultTreeAdapterTypes as T, parse } from 'parse5';
import { Compile } from 'typebox/compile';
import { withRecordIds } from '@blindlink/agency-client';
import { DiscrepancyResponse, FamilyCriteriaResponse } from '@blindlink/protocol';
import { AGENCY_BIN, run } from '../helpers/processes.js';

type Node = T.ChildNode | T.Document;
const children = (n: Node): T.ChildNode[] => ('childNodes' in n ? n.childNodes : []);
function all(n: Node, tag: string): T.Element[] {
  const out: T.Element[] = [];
  for (const c of children(n)) {
    if ('tagName' in c && c.tagName === tag) out.push(c);
    out.push(...all(c, tag));
  }
  return out;
}
const text = (n: Node): string => ('value' in n && n.nodeName === '#text' ? n.value : children(n).map(text).join(''));
const attr = (e: T.Element, name: string) => e.attrs.find((a) => a.name === name)?.value;
/** The body rows of the records table: each row's cells as text, and its filter tags. */
function tableRows(doc: T.Document): { cells: string[]; tags: string[] }[] {
  const tbody = all(doc, 'tbody')[0]!;
  return all(tbody, 'tr').map((tr) => ({
    cells: children(tr)
      .filter((c) => 'tagName' in c)
      .map(text),
    tags: JSON.parse(attr(tr, 'data-tags')!) as string[],
  }));
}

const HEADER = 'record_id,given_name,surname,dob,sex,postcode\n';
const RUN_ID = '0b7f4c3e-9a1d-4c2b-8e7f-1a2b3c4d5e6f';
const POLICY = { id: 'supporting-families', version: 2, rule: 'families' };

t.test('report: a release and our token map become a page of our own records', async (t) => {
  const dir = t.testdir({ 'secret.key': 'a shared linkage secret that only agencies hold\n' });
  chmodSync(join(dir, 'secret.key'), 0o600);
  const hostile = '<script>alert("x")</script>';
  writeFileSync(
    join(dir, 'ct.csv'),
    HEADER +
      'CT1,Ann,Smith,01/02/1980,F,M1 1AE\n' +
      `CT2,"${hostile.replace(/"/g, '""')}",Smith,02/03/2010,M,M1 1AE\n` +
      "CT3,Cy,O'Neill & Sons,03/04/1975,M,B33 8TH\n" +
      'CT4,Dee,Gray,04/05/1990,F,B33 8TH\n',
  );
  const enc = await run(AGENCY_BIN, [
    'encode',
    '--input',
    join(dir, 'ct.csv'),
    '--secret-file',
    join(dir, 'secret.key'),
    '--out',
    join(dir, 'ct.enc'),
  ]);
  t.equal(enc.code, 0, enc.stderr);
  const tokensFile = join(dir, 'ct.enc.tokens.csv');
  const tokenOf = new Map(
    readFileSync(tokensFile, 'utf8')
      .trim()
      .split('\n')
      .slice(1)
      .map((l) => l.split(',').reverse() as [string, string]),
  );
  const tok = (id: string) => tokenOf.get(id)!;

  const report = async (name: string, release: unknown, extra: string[]) => {
    writeFileSync(join(dir, `${name}.json`), JSON.stringify(release));
    const out = join(dir, `${name}.html`);
    const r = await run(AGENCY_BIN, ['report', '--release', join(dir, `${name}.json`), '--out', out, ...extra]);
    return { ...r, out };
  };

  // Family criteria, as the broker sends it (bare row tokens): the token map puts our ids back.
  const families = {
    purpose: 'supporting-families',
    runId: RUN_ID,
    policy: POLICY,
    families: [
      { tokens: [tok('CT1'), tok('CT2')], criteriaMet: 3, criteria: ['education', 'health', 'worklessness'] },
      { tokens: [tok('CT3')], criteriaMet: 3, criteria: ['crime', 'health', 'housing'] },
    ],
  };
  t.ok(
    Compile(FamilyCriteriaResponse).Check(families),
    'the fixture is a family-criteria answer as the protocol has it',
  );
  const fam = await report('families', families, ['--tokens', tokensFile, '--records', join(dir, 'ct.csv')]);
  t.equal(fam.code, 0, fam.stderr);
  t.match(fam.stderr, /3 of our records \(family-criteria\)/);
  t.equal(statSync(fam.out).mode & 0o077, 0, 'the page is readable by the agency alone');
  const html = readFileSync(fam.out, 'utf8');
  const doc = parse(html);
  const heads = all(all(doc, 'thead')[0]!, 'th').map(text);
  t.same(heads, ['Record id', 'given_name', 'surname', 'dob', 'sex', 'postcode', 'Family', 'Criteria met', 'Criteria']);
  const rows = tableRows(doc);
  t.same(
    rows.map((r) => [r.cells[0], r.cells[1], r.cells[2], r.cells[6], r.cells[8]]),
    [
      ['CT1', 'Ann', 'Smith', '1', 'education, health, worklessness'],
      ['CT2', hostile, 'Smith', '1', 'education, health, worklessness'],
      ['CT3', 'Cy', "O'Neill & Sons", '2', 'crime, health, housing'],
    ],
    'our records, with our own columns and the family each is in',
  );
  t.same(rows[2]!.tags, ['crime', 'health', 'housing']);
  t.same(
    all(all(doc, 'select')[0]!, 'option').map(text),
    ['All records', 'crime', 'education', 'health', 'housing', 'worklessness'],
    'the filter offers every criterion',
  );
  // Escaped: the hostile name is text, never markup; the page's only scripts are its own two.
  t.equal(all(doc, 'script').length, 2, 'two scripts, both the page’s own');
  t.notOk(html.includes(hostile), 'the raw markup never appears');
  t.ok(
    all(doc, 'script').every((s) => !text(s).includes('alert')),
    'no data inside a script',
  );
  // Offline: no stylesheet link, no script source, no font to fetch.
  t.equal(all(doc, 'link').length, 0);
  t.ok(
    all(doc, 'script').every((s) => attr(s, 'src') === undefined),
    'no script fetched',
  );
  t.notOk(/@font-face|url\(["']?(https?:)?\/\//.test(html), 'no font or remote resource to fetch');
  t.ok(
    all(doc, 'a').every((a) => attr(a, 'href') === undefined),
    'no links away',
  );
  t.match(html, /\.govuk-table\{/, 'govuk-frontend’s styles inlined');
  // Without JavaScript the filter stays hidden and every row is shown.
  t.equal(attr(all(doc, 'form')[0]!, 'hidden'), '', 'filter hidden until the script runs');
  t.ok(
    all(all(doc, 'tbody')[0]!, 'tr').every((tr) => attr(tr, 'hidden') === undefined),
    'every row shown',
  );

  // The filter script, run against the page's own rows (a browser run is the console's test suite's).
  const handlers: Record<string, () => void> = {};
  const control = (id: string) => ({
    id,
    value: '',
    hidden: id === 'filter',
    textContent: '',
    addEventListener: (ev: string, fn: () => void) => {
      handlers[`${id}:${ev}`] = fn;
    },
  });
  const controls = Object.fromEntries(['filter', 'filter-text', 'filter-tag', 'shown'].map((id) => [id, control(id)]));
  const trs = all(all(doc, 'tbody')[0]!, 'tr').map((tr) => ({
    hidden: false,
    textContent: text(tr),
    getAttribute: (n: string) => attr(tr, n),
  }));
  runInNewContext(text(all(doc, 'script')[1]!), {
    document: { getElementById: (id: string) => controls[id], querySelectorAll: () => trs },
  });
  t.equal(controls.filter!.hidden, false, 'the script shows the filter');
  t.equal(controls.shown!.textContent, '3 of 3 records shown');
  controls['filter-tag']!.value = 'crime';
  handlers['filter-tag:change']!();
  t.same(
    trs.map((r) => r.hidden),
    [true, true, false],
    'choosing a criterion shows the records meeting it',
  );
  controls['filter-tag']!.value = '';
  controls['filter-text']!.value = 'SMITH';
  handlers['filter-text:input']!();
  t.same(
    trs.map((r) => r.hidden),
    [false, false, true],
    'search matches any cell, in any case',
  );
  t.equal(controls.shown!.textContent, '2 of 3 records shown');

  // Discrepancy, as `release --tokens` writes it (ids already beside the tokens): no token map needed.
  const flagged = {
    purpose: 'council-tax-spd-review',
    runId: RUN_ID,
    policy: { id: 'council-tax-spd-review', version: 1, rule: 'spd' },
    check: 'single-person-discount',
    flagged: [
      { token: tok('CT4'), corroboratingSources: 2 },
      { token: tok('CT1'), corroboratingSources: 1 },
    ],
  };
  t.ok(Compile(DiscrepancyResponse).Check(flagged));
  const disc = await report('flagged', withRecordIds(flagged, new Map([...tokenOf].map(([id, k]) => [k, id]))), []);
  t.equal(disc.code, 0, disc.stderr);
  t.same(
    tableRows(parse(readFileSync(disc.out, 'utf8'))).map((r) => r.cells),
    [
      ['CT4', 'single-person-discount', '2'],
      ['CT1', 'single-person-discount', '1'],
    ],
  );

  // Membership, as `membership --out x.json` writes it.
  const membership = withRecordIds(
    {
      purpose: 'community-safety',
      of: 'police',
      runId: RUN_ID,
      policy: { id: 'community-safety', version: 1, rule: 'known' },
      answers: [
        { token: tok('CT1'), known: false },
        { token: tok('CT3'), known: true },
      ],
    },
    new Map([...tokenOf].map(([id, k]) => [k, id])),
  );
  const mem = await report('known', membership, ['--records', join(dir, 'ct.csv'), '--columns', 'surname']);
  t.equal(mem.code, 0, mem.stderr);
  const memRows = tableRows(parse(readFileSync(mem.out, 'utf8')));
  t.same(
    memRows.map((r) => r.cells),
    [
      ['CT1', 'Smith', 'no'],
      ['CT3', "O'Neill & Sons", 'yes'],
    ],
  );
  t.same(memRows[1]!.tags, ['known to police']);

  // Mistakes: one line, exit 1, no page.
  const fails = async (name: string, release: unknown, extra: string[], message: RegExp) => {
    const r = await report(name, release, extra);
    t.equal(r.code, 1, `${name}: exit 1`);
    t.match(r.stderr, /^blindlink-agency: error: /m);
    t.match(r.stderr, message, `${name}: says what is wrong`);
    t.notOk(existsSync(r.out), `${name}: no page`);
  };
  await fails('no-map', families, [], /bare row tokens: give --tokens/);
  const other = { ...families, families: [{ tokens: ['A'.repeat(22)], criteriaMet: 3 }] };
  await fails('wrong-map', other, ['--tokens', tokensFile], /1 row tokens .* not in the token map/);
  await fails('aggregate', { purpose: 'x', runId: RUN_ID, policy: POLICY, cells: [] }, [], /aggregate and pseudonym/);
  await fails(
    'bad-shape',
    { ...families, families: [{ tokens: 'x', criteriaMet: 3 }] },
    ['--tokens', tokensFile],
    /families\[0\]/,
  );
  await fails(
    'bad-column',
    families,
    ['--tokens', tokensFile, '--records', join(dir, 'ct.csv'), '--columns', 'shoe'],
    /"shoe" is not in the header/,
  );
});
