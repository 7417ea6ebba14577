// Unit tests for the agency client's UK identifier normalisers.
// Imports the compiled module directly: the package entry point does not re-export normalise/ yet.
import t from 'tap';
import type { Test } from 'tap';
import {
  ADDRESS_ABBREVIATIONS,
  isError,
  isMissing,
  isNhsTestRange,
  isValidPostcode,
  MISSING,
  NAME_VARIANT_GROUPS,
  nhsCheckDigit,
  normaliseAddress,
  normaliseDob,
  normaliseFreeText,
  normaliseGivenName,
  normaliseIdentifier,
  normaliseText,
  PERSONAL_FIELDS,
  normaliseNhsNumber,
  normalisePostcode,
  normaliseSex,
  normaliseSurname,
  normalisers,
  foldDiacritics,
} from '@blindlink/agency-client/normalise';
import type { NormaliseOk, NormaliseResult } from '@blindlink/agency-client/normalise';

/** Asserts an ok result and returns it (a dummy value on failure so later checks fail loudly). */
function ok<P>(tt: Test, r: NormaliseResult<P>, label: string): NormaliseOk<P> {
  if (!r.ok) {
    tt.fail(`${label}: expected ok, got ${JSON.stringify(r)}`);
    return { ok: true, value: '\u0000not-ok' };
  }
  tt.pass(`${label}: ok`);
  return r;
}

/** Asserts an error (not missing) whose reason matches `re`. */
function err(tt: Test, r: NormaliseResult<unknown>, re: RegExp, label: string): void {
  tt.ok(isError(r), `${label}: is an error (${JSON.stringify(r)})`);
  if (!r.ok) tt.match(r.reason, re, `${label}: reason`);
}

/** All tokens a result contributes: value, variants and parts (for names). */
function tokens(r: NormaliseResult<unknown>): Set<string> {
  if (!r.ok) return new Set();
  const parts = Array.isArray(r.parts) ? (r.parts as string[]) : [];
  return new Set([r.value, ...(r.variants ?? []), ...parts]);
}

function shareToken(a: NormaliseResult<unknown>, b: NormaliseResult<unknown>): boolean {
  const tb = tokens(b);
  return [...tokens(a)].some((x) => tb.has(x));
}

t.test('missing vs error', async (t) => {
  for (const [field, fn] of Object.entries(normalisers)) {
    for (const blank of ['', '   ', '\t', ' \n ', '\u00A0', '\u200B', '\uFEFF ']) {
      const r = fn(blank);
      t.ok(isMissing(r), `${field} ${JSON.stringify(blank)} is missing`);
      t.notOk(isError(r), `${field} ${JSON.stringify(blank)} is not an error`);
      t.equal(r.ok, false);
    }
  }
  t.same(MISSING, { ok: false, missing: true, reason: 'value is missing' });
  t.notOk(isMissing(normaliseSex('x')), 'an error is not missing');
});

t.test('normalisers table', async (t) => {
  t.same(Object.keys(normalisers).sort(), [
    'address',
    'dob',
    'given_name',
    'identifier',
    'nhs_number',
    'postcode',
    'sex',
    'surname',
    'text',
  ]);
  t.same(
    [...PERSONAL_FIELDS].sort(),
    ['dob', 'given_name', 'identifier', 'nhs_number'],
    'fields that tell co-residents apart',
  );
  t.equal(normalisers.given_name('Bill').ok, true);
  t.same(normalisers.surname("O'Neill"), normaliseSurname("O'Neill"));
  t.same(normalisers.dob('3 Mar 1984'), normaliseDob('3 Mar 1984'));
  t.same(normalisers.postcode('sw1a1aa'), normalisePostcode('sw1a1aa'));
  t.same(normalisers.nhs_number('943 476 5919'), normaliseNhsNumber('943 476 5919'));
  t.same(normalisers.sex('F'), normaliseSex('F'));
  t.same(normalisers.address('12 High St'), normaliseAddress('12 High St'));
  // The dob entry ignores stray extra arguments (e.g. Array.prototype.map's index).
  t.same(['01/01/2000'].map(normalisers.dob)[0], normaliseDob('01/01/2000'));
});

t.test('free text helper and folding', async (t) => {
  t.equal(normaliseFreeText('  Zoë   ŁUKASZ\u00A0 Róisín\t'), 'zoe lukasz roisin');
  t.equal(normaliseFreeText("O'Neill, Jr."), "o'neill, jr.", 'punctuation kept by the generic helper');
  t.equal(normaliseFreeText('Straße Æsir Œuvre Søren Đorđe Þór'), 'strasse aesir oeuvre soren dorde thor');
  t.equal(normaliseFreeText('İSTANBUL'), 'istanbul');
  t.equal(normaliseFreeText('ﬁne ＷＩＤＥ'), 'fine wide', 'compatibility forms folded');
  t.equal(normaliseFreeText('a\u200Bb'), 'ab', 'zero-width space removed');
  t.equal(foldDiacritics('Siân Zoë'), 'Sian Zoe', 'foldDiacritics keeps case');
  t.equal(foldDiacritics('Łł Øø ß Ææ'), 'Ll Oo ss AEae');
});

t.test('surnames: punctuation and particles', async (t) => {
  for (const raw of [
    "O'Neill",
    'ONeill',
    'O Neill',
    'O’Neill',
    'O‘Neill',
    'O`Neill',
    "o'neill",
    "O'NEILL",
    "  O'Neill  ",
    'O ´Neill',
    'O\u00A0Neill',
  ]) {
    const r = ok(t, normaliseSurname(raw), raw);
    t.equal(r.value, 'oneill', `${raw} → oneill`);
    t.equal(r.parts, undefined, `${raw} is one part`);
  }
  t.equal(ok(t, normaliseSurname("D'Arcy"), "D'Arcy").value, 'darcy');
  t.equal(ok(t, normaliseSurname('Darcy'), 'Darcy').value, 'darcy');
  const vdb = ok(t, normaliseSurname('Van der Berg'), 'Van der Berg');
  t.equal(vdb.value, 'vanderberg');
  t.equal(vdb.parts, undefined, 'particles join the following word, not separate parts');
  t.equal(ok(t, normaliseSurname('de la Cruz'), 'de la Cruz').value, 'delacruz');
  t.equal(ok(t, normaliseSurname('Le'), 'Le').value, 'le', 'a lone particle is a surname');
  t.not(
    ok(t, normaliseSurname("O'Neill"), 'x').value,
    ok(t, normaliseSurname('Neill'), 'Neill').value,
    'O is not dropped',
  );
});

t.test('surnames: Mc / Mac', async (t) => {
  const mc = ok(t, normaliseSurname('McDonald'), 'McDonald');
  const mcSpace = ok(t, normaliseSurname('Mc Donald'), 'Mc Donald');
  const mcUpper = ok(t, normaliseSurname('MCDONALD'), 'MCDONALD');
  t.equal(mc.value, 'mcdonald');
  t.equal(mcSpace.value, mc.value, 'McDonald ≡ Mc Donald');
  t.equal(mcUpper.value, mc.value);
  t.equal(mc.variants, undefined, 'the Mc form is canonical: no variant');

  const mac = ok(t, normaliseSurname('MacDonald'), 'MacDonald');
  t.equal(mac.value, 'macdonald', 'value keeps the spelling given');
  t.same(mac.variants, ['mcdonald'], 'MacDonald carries the canonical Mc form');
  t.ok(shareToken(normaliseSurname('MacDonald'), normaliseSurname('McDonald')), 'MacDonald relates to McDonald');
  t.same(ok(t, normaliseSurname('Mac Donald'), 'Mac Donald'), mac, 'Mac Donald ≡ MacDonald');
  t.same(ok(t, normaliseSurname('MacKenzie'), 'MacKenzie').variants, ['mckenzie']);

  t.equal(ok(t, normaliseSurname('Machin'), 'Machin').variants, undefined, 'Machin is not Mac + hin');
  t.equal(ok(t, normaliseSurname('Mace'), 'Mace').variants, undefined, 'too short for the Mac rule');
  t.equal(ok(t, normaliseSurname('Macey'), 'Macey').variants, undefined);
  t.notOk(shareToken(normaliseSurname('Machin'), normaliseSurname('McHin')));

  const sj = ok(t, normaliseSurname('Saint John'), 'Saint John');
  t.equal(sj.value, 'saintjohn');
  t.same(sj.variants, ['stjohn']);
  t.ok(shareToken(normaliseSurname('Saint John'), normaliseSurname('St. John')), 'Saint John relates to St John');
});

t.test('surnames: hyphenated and double-barrelled', async (t) => {
  for (const raw of [
    'Smith-Jones',
    'Smith Jones',
    'SMITH-JONES',
    'Smith – Jones',
    'Smith\u2010Jones',
    'Smith - Jones',
    ' smith  jones ',
  ]) {
    const r = ok(t, normaliseSurname(raw), raw);
    t.equal(r.value, 'smithjones', `${raw}: joined form`);
    t.same(r.parts, ['smith', 'jones'], `${raw}: parts`);
  }
  t.equal(ok(t, normaliseSurname('SmithJones'), 'SmithJones').value, 'smithjones');
  t.same(ok(t, normaliseSurname("Smith-O'Neill"), "Smith-O'Neill").parts, ['smith', 'oneill']);
  t.same(ok(t, normaliseSurname('Lloyd-Webber-Smith'), 'triple').parts, ['lloyd', 'webber', 'smith']);
  const mixed = ok(t, normaliseSurname('Jones-MacDonald'), 'Jones-MacDonald');
  t.same(mixed.parts, ['jones', 'macdonald']);
  t.same(mixed.variants, ['mcdonald'], 'part-level Mac variant');
  t.equal(ok(t, normaliseSurname('Smith'), 'Smith').parts, undefined, 'single part: no parts');
});

t.test('names: Unicode folding', async (t) => {
  const pairs: Array<[string, string]> = [
    ['Siân', 'sian'],
    ['Sian', 'sian'],
    ['SIÂN', 'sian'],
    ['Zoë', 'zoe'],
    ['Zoe\u0308', 'zoe'],
    ['Łukasz', 'lukasz'],
    ['ŁUKASZ', 'lukasz'],
    ['Róisín', 'roisin'],
    ['Søren', 'soren'],
    ['Øyvind', 'oyvind'],
    ['Straße', 'strasse'],
    ['Ælfred', 'aelfred'],
    ['Chloë', 'chloe'],
    ['José', 'jose'],
    ['François', 'francois'],
    ['Đorđe', 'dorde'],
    ['Þóra', 'thora'],
    ['Dvořák', 'dvorak'],
    ['Müller', 'muller'],
    ['Ñúñez', 'nunez'],
    ['Griﬃths', 'griffiths'],
    ['ＳＭＩＴＨ', 'smith'],
    ['Иван', 'иван'],
  ];
  for (const [raw, want] of pairs) {
    t.equal(ok(t, normaliseGivenName(raw), raw).value, want, `given ${raw} → ${want}`);
    t.equal(ok(t, normaliseSurname(raw), raw).value, want, `surname ${raw} → ${want}`);
  }
  t.same(normaliseGivenName('Siân'), normaliseGivenName('Sian'), 'Siân ≡ Sian');
  t.equal(ok(t, normaliseGivenName('Anne\u00ADMarie'), 'soft hyphen').value, 'annemarie');
});

t.test('given names: titles and white space', async (t) => {
  for (const raw of ['Mr John', 'MR JOHN', 'Mr. John', 'Dr John', 'Dr. John', 'mr  john', 'Mr Dr John']) {
    t.equal(ok(t, normaliseGivenName(raw), raw).value, 'john', `${raw} → john`);
  }
  for (const [raw, want] of [
    ['Mrs Jane', 'jane'],
    ['Ms Jane', 'jane'],
    ['Miss Emma', 'emma'],
    ['Mrs. Mary Ann', 'maryann'],
  ] as const) {
    t.equal(ok(t, normaliseGivenName(raw), raw).value, want);
  }
  err(t, normaliseGivenName('Mrs'), /only a title/, 'title alone');
  err(t, normaliseGivenName('Dr.'), /only a title/, 'title with full stop alone');
  t.equal(ok(t, normaliseGivenName('Drew'), 'Drew').value, 'drew', 'a name starting with a title is kept');
  t.equal(ok(t, normaliseGivenName('Missy'), 'Missy').value, 'missy');
  t.equal(ok(t, normaliseGivenName('John Mr'), 'title not first').value, 'johnmr', 'only leading titles go');
  t.equal(ok(t, normaliseSurname('Mr'), 'surname Mr').value, 'mr', 'surnames are not title-stripped');

  const ma = ok(t, normaliseGivenName('  Mary   Ann '), 'Mary Ann');
  t.equal(ma.value, 'maryann');
  t.same(ma.parts, ['mary', 'ann']);
  t.same(normaliseGivenName('Mary-Ann'), ma, 'Mary-Ann ≡ Mary Ann');
  t.equal(ok(t, normaliseGivenName('Maryann'), 'Maryann').value, 'maryann');
  t.same(ok(t, normaliseGivenName('J. R. R.'), 'initials').parts, ['j', 'r', 'r']);
});

t.test('given names: nicknames and transliterations', async (t) => {
  const cases: Array<[string, string]> = [
    ['Bill', 'william'],
    ['Billy', 'william'],
    ['Will', 'william'],
    ['Peggy', 'margaret'],
    ['Maggie', 'margaret'],
    ['Bob', 'robert'],
    ['Bobby', 'robert'],
    ['Liz', 'elizabeth'],
    ['Betty', 'elizabeth'],
    ['Jim', 'james'],
    ['Jimmy', 'james'],
    ['Dick', 'richard'],
    ['Tony', 'anthony'],
    ['Kate', 'katherine'],
    ['Catherine', 'katherine'],
    ['Steve', 'stephen'],
    ['Steven', 'stephen'],
    ['Jack', 'john'],
    ['Ted', 'edward'],
    ['Sally', 'sarah'],
    ['Mohammed', 'muhammad'],
    ['Mohamed', 'muhammad'],
    ['Mohammad', 'muhammad'],
    ['Muhammed', 'muhammad'],
    ['Hussein', 'hussain'],
    ['Ahmad', 'ahmed'],
    ['Ayesha', 'aisha'],
    ['Sergey', 'sergei'],
  ];
  for (const [raw, canonical] of cases) {
    const r = ok(t, normaliseGivenName(raw), raw);
    t.ok(r.variants?.includes(canonical), `${raw} has variant ${canonical} (${JSON.stringify(r.variants)})`);
    t.ok(shareToken(r, normaliseGivenName(canonical)), `${raw} ~ ${canonical}`);
  }
  const william = ok(t, normaliseGivenName('William'), 'William');
  t.equal(william.value, 'william');
  t.equal(william.variants, undefined, 'canonical names carry no variants');
  t.equal(ok(t, normaliseGivenName('Muhammad'), 'Muhammad').variants, undefined);
  t.ok(shareToken(normaliseGivenName('Mohammed'), normaliseGivenName('Mohamed')), 'two spellings share the canonical');
  t.ok(shareToken(normaliseGivenName('Bill'), normaliseGivenName('Billy')));
  t.notOk(shareToken(normaliseGivenName('Bill'), normaliseGivenName('Robert')), 'Bill is not Robert');

  const alex = ok(t, normaliseGivenName('Alex'), 'Alex');
  t.same([...(alex.variants ?? [])].sort(), ['alexander', 'alexandra'], 'ambiguous nickname gives every canonical');
  t.same(ok(t, normaliseGivenName('Bill John'), 'Bill John').variants, ['william'], 'variants per part');
  t.equal(ok(t, normaliseGivenName('Mr Bill'), 'Mr Bill').variants?.[0], 'william');
  t.equal(ok(t, normaliseGivenName('Zebedee'), 'unknown').variants, undefined, 'unknown names have no variants');

  t.ok(
    ok(t, normaliseSurname('Mohamed'), 'surname Mohamed').variants?.includes('muhammad'),
    'transliterations apply to surnames',
  );
  t.ok(ok(t, normaliseSurname('Smyth'), 'Smyth').variants?.includes('smith'), 'surname spelling variants');
  t.ok(ok(t, normaliseSurname('Chowdhury'), 'Chowdhury').variants?.includes('chaudhry'));
  t.equal(ok(t, normaliseSurname('Bill'), 'surname Bill').variants, undefined, 'nicknames do not apply to surnames');
});

t.test('name variant tables are consistent', async (t) => {
  const { nicknames, transliterations, surnames } = NAME_VARIANT_GROUPS;
  const checkTable = (label: string, groups: ReadonlyArray<readonly string[]>): void => {
    const canonicals = new Set(groups.map((g) => g[0] ?? ''));
    const variants = new Set(groups.flatMap((g) => g.slice(1)));
    for (const g of groups) {
      for (const name of g) t.match(name, /^[a-z]+$/, `${label}: ${name} is normalised`);
    }
    for (const c of canonicals) t.notOk(variants.has(c), `${label}: canonical ${c} is not also a variant`);
  };
  checkTable('given', [...nicknames, ...transliterations]);
  checkTable('surname', [...surnames, ...transliterations]);
  const variantCount = new Set([...nicknames, ...transliterations].flatMap((g) => g.slice(1))).size;
  t.ok(variantCount >= 150, `at least 150 given-name variants (${variantCount})`);
  // Every table entry, pushed through the normaliser, reaches its canonical.
  for (const [canonical, ...variants] of [...nicknames, ...transliterations]) {
    for (const v of variants) {
      const r = normaliseGivenName(v);
      if (!(r.ok && r.value === v && (r.variants ?? []).includes(canonical)))
        t.fail(`${v} does not reach ${canonical}`);
    }
  }
});

t.test('names: rejected values', async (t) => {
  for (const fn of [normaliseGivenName, normaliseSurname]) {
    err(t, fn('J0hn'), /digit/, 'digit');
    err(t, fn('Smith2'), /digit/, 'trailing digit');
    err(t, fn('Henry 8'), /digit/, 'separate digit');
    err(t, fn('Louis XIV²'), /digit/, 'superscript digit');
    err(t, fn('Jo\u0000hn'), /control character/, 'NUL');
    err(t, fn('Jo\thn'), /control character/, 'inner tab');
    err(t, fn('Jo\nhn'), /control character/, 'inner newline');
    err(t, fn('Jo\u0085hn'), /control character/, 'C1 control');
    err(t, fn('a'.repeat(101)), /longer than 100/, '101 characters');
    t.equal(ok(t, fn('a'.repeat(100)), '100 characters').value, 'a'.repeat(100));
    for (const sym of ['@', '/', '&', '(', '_', '"', '!', '#', '*']) {
      err(t, fn(`Sm${sym}ith`), /character not used in names/, `symbol ${sym}`);
    }
    err(t, fn('---'), /no letters/, 'punctuation only');
    err(t, fn("''"), /no letters/, 'apostrophes only');
    err(t, fn('. .'), /no letters/, 'full stops only');
  }
  const r = normaliseSurname('Smithers9');
  t.ok(!r.ok && !r.reason.toLowerCase().includes('smithers'), 'reason does not quote the name');
});

t.test('names: mojibake repaired where unambiguous, a lost letter dropped', async (t) => {
  for (const fn of [normaliseGivenName, normaliseSurname]) {
    // UTF-8 read as Windows-1252 (or Latin-1): decoded again, and said so.
    for (const [raw, value] of [
      ['SiÃ¢n', 'sian'],
      ['JosÃ©', 'jose'],
      ['MÃ¼ller', 'muller'],
      ['Ã‰mile', 'emile'],
      ['Oâ€™Neill', 'oneill'],
      ['BjÃ¸rn', 'bjorn'],
      ['Ã\u0089mile', 'emile'], // a Latin-1 read keeps 0x89 as a C1 control
    ] as const) {
      const r = ok(t, fn(raw), raw);
      t.equal(r.value, value, `${raw} → ${value}`);
      t.equal(r.repaired, 'mojibake', `${raw}: repair reported`);
    }
    // Genuine Latin-1 or correctly decoded text is never "repaired".
    for (const raw of ['Müller', 'Renée', 'Siân', 'Ã', 'Ãx', 'Łukasz Ã¢'])
      t.equal(fn(raw).ok ? (fn(raw) as { repaired?: string }).repaired : undefined, undefined, `${raw} as it is`);
    err(t, fn('Łukasz Ã¢'), /character not used in names/, 'mixed with real Unicode: ambiguous, refused');
    // '?' (or U+FFFD) for a letter a system could not store: dropped, the rest kept.
    for (const [raw, value] of [
      ['Ren?e', 'rene'],
      ['Si\uFFFDn', 'sin'],
      ['?Neill', 'neill'],
    ] as const) {
      const r = ok(t, fn(raw), raw);
      t.equal(r.value, value, `${raw} → ${value}`);
      t.equal(r.repaired, 'lost letter', `${raw}: repair reported`);
    }
    t.ok(isMissing(fn('?')), '"?" alone: missing, not invalid');
    t.ok(isMissing(fn(' ?? ')), '"??": missing');
    t.equal(ok(t, fn('Smith'), 'plain').repaired, undefined, 'nothing to repair: no flag');
  }
  const a = ok(t, normaliseAddress('12 CafÃ© Street'), 'address');
  t.equal(a.value, '12 cafe street');
  t.equal(a.repaired, 'mojibake');
});

t.test('sex', async (t) => {
  for (const raw of ['M', 'm', 'Male', 'MALE', 'male', ' Male ', '1', ' 1 '])
    t.equal(ok(t, normaliseSex(raw), raw).value, 'm');
  for (const raw of ['F', 'f', 'Female', 'FEMALE', 'female', '2']) t.equal(ok(t, normaliseSex(raw), raw).value, 'f');
  for (const raw of ['U', 'u', 'Unknown', 'UNKNOWN', ' unknown ', '', '  '])
    t.ok(isMissing(normaliseSex(raw)), `${JSON.stringify(raw)} missing`);
  for (const raw of ['X', '0', '3', '9', 'MF', 'fem', 'males', 'Man', 'Woman', 'N/K', '1.0', 'M.']) {
    err(t, normaliseSex(raw), /sex must be/, `sex ${raw}`);
  }
});

t.test('dates of birth: accepted formats', async (t) => {
  const today = new Date(2024, 5, 15); // 15 June 2024, local time
  const want = { ok: true, value: '1984-03-03', parts: { year: 1984, month: 3, day: 3 } };
  for (const raw of [
    '03/03/1984',
    '3/3/1984',
    '03-03-1984',
    '3-3-1984',
    '03.03.1984',
    '3.3.1984',
    '1984-03-03',
    '1984-3-3',
    '1984/03/03',
    '19840303',
    '3 Mar 1984',
    '03 March 1984',
    '3 mar 1984',
    '3 MARCH 1984',
    '3rd March 1984',
    '3 Mar. 1984',
    '3-Mar-1984',
    ' 3  Mar  1984 ',
  ]) {
    t.same(normaliseDob(raw, { today }), want, `${raw} → 1984-03-03`);
  }
  t.equal(ok(t, normaliseDob('25/12/1990', { today }), '25/12').value, '1990-12-25');
  t.equal(ok(t, normaliseDob('1 Sept 2001', { today }), 'Sept').value, '2001-09-01');
  t.equal(ok(t, normaliseDob('01 september 2001', { today }), 'september').value, '2001-09-01');
  t.equal(ok(t, normaliseDob('1 May 2001', { today }), 'May').value, '2001-05-01');
  t.equal(ok(t, normaliseDob('31 Dec 1999', { today }), 'Dec').value, '1999-12-31');
  t.equal(ok(t, normaliseDob('31/01/1990', { today }), '31 Jan').value, '1990-01-31');
  t.equal(ok(t, normaliseDob('30/04/1990', { today }), '30 Apr').value, '1990-04-30');
});

t.test('dates of birth: calendar rules', async (t) => {
  const today = new Date(2024, 5, 15);
  t.equal(ok(t, normaliseDob('29/02/1992', { today }), '29/02/1992').value, '1992-02-29', 'leap year');
  t.equal(ok(t, normaliseDob('29/02/2000', { today }), '29/02/2000').value, '2000-02-29', '400-year leap');
  err(t, normaliseDob('29/02/1991', { today }), /leap years/, '29/02/1991');
  err(t, normaliseDob('29/02/1900', { today }), /leap years/, '1900 is not a leap year');
  err(t, normaliseDob('31/02/1990', { today }), /does not exist/, '31/02/1990');
  err(t, normaliseDob('30/02/1990', { today }), /does not exist/, '30/02/1990');
  err(t, normaliseDob('31/04/1990', { today }), /does not exist/, '31 April');
  err(t, normaliseDob('31/06/1990', { today }), /does not exist/, '31 June');
  err(t, normaliseDob('32/01/1990', { today }), /does not exist/, 'day 32');
  err(t, normaliseDob('00/01/1990', { today }), /day must be at least 1/, 'day 0');
  err(t, normaliseDob('01/13/1990', { today }), /month must be 1 to 12/, 'month 13');
  err(t, normaliseDob('01/00/1990', { today }), /month must be 1 to 12/, 'month 0');
  err(t, normaliseDob('12/25/1990', { today }), /month must be 1 to 12/, 'US order rejected');
  err(t, normaliseDob('1990-13-01', { today }), /month must be 1 to 12/, 'ISO month 13');
  err(t, normaliseDob('19901301', { today }), /month must be 1 to 12/, 'compact month 13');
  err(t, normaliseDob('31 Feb 1990', { today }), /does not exist/, 'named month overflow');
});

t.test('dates of birth: range and bad shapes', async (t) => {
  const today = new Date(2024, 5, 15);
  t.equal(ok(t, normaliseDob('01/01/1900', { today }), 'first day').value, '1900-01-01');
  err(t, normaliseDob('31/12/1899', { today }), /before 1900/, 'before 1900');
  err(t, normaliseDob('1850-06-01', { today }), /before 1900/, 'ISO before 1900');
  t.equal(ok(t, normaliseDob('15/06/2024', { today }), 'today').value, '2024-06-15', 'born today is fine');
  err(t, normaliseDob('16/06/2024', { today }), /future/, 'tomorrow');
  err(t, normaliseDob('01/01/2025', { today }), /future/, 'next year');
  err(t, normaliseDob('01/01/3000'), /future/, 'far future against the real clock');

  err(t, normaliseDob('03/03/84', { today }), /two-digit year/, 'DD/MM/YY');
  err(t, normaliseDob('3/3/84', { today }), /two-digit year/, 'D/M/YY');
  err(t, normaliseDob('3 Mar 84', { today }), /two-digit year/, 'D MMM YY');
  err(t, normaliseDob('03/03/984', { today }), /four digits/, 'three-digit year');
  err(t, normaliseDob('03031984', { today }), /YYYYMMDD/, 'DDMMYYYY rejected');
  err(t, normaliseDob('3 Foo 1984', { today }), /unknown month name/, 'bad month name');
  err(t, normaliseDob('3 Marc 1984', { today }), /unknown month name/, 'misspelt month');
  for (const raw of [
    '03/03-1984',
    'March 3 1984',
    'March 3, 1984',
    '1984.03.03',
    '1984-03-03T00:00:00',
    '03/03/1984 00:00',
    'yesterday',
    '1984',
    '03/1984',
    '1984-03',
    '840303',
    '3rd of March 1984',
    '—',
  ]) {
    err(t, normaliseDob(raw, { today }), /recognised format/, `format ${raw}`);
  }
  const r = normaliseDob('31/02/1990', { today });
  t.ok(!r.ok && !/1990|31/.test(r.reason), 'reason does not repeat the date');
});

t.test('postcodes: valid', async (t) => {
  const valid: Array<[string, string]> = [
    ['sw1a1aa', 'SW1A 1AA'],
    ['SW1A 1AA', 'SW1A 1AA'],
    [' sw1a   1aa ', 'SW1A 1AA'],
    ['EC1A 1BB', 'EC1A 1BB'],
    ['ec1a1bb', 'EC1A 1BB'],
    ['M1 1AE', 'M1 1AE'],
    ['m11ae', 'M1 1AE'],
    ['B33 8TH', 'B33 8TH'],
    ['CR2 6XH', 'CR2 6XH'],
    ['DN55 1PT', 'DN55 1PT'],
    ['W1A 0AX', 'W1A 0AX'],
    ['N1C 4AG', 'N1C 4AG'],
    ['E1W 1AA', 'E1W 1AA'],
    ['NW1W 9AA', 'NW1W 9AA'],
    ['SW1A 0AA', 'SW1A 0AA'],
    ['GIR 0AA', 'GIR 0AA'],
    ['gir0aa', 'GIR 0AA'],
    ['L1 8JQ', 'L1 8JQ'],
    ['BT1 1AA', 'BT1 1AA'],
    ['S\u00A0W1A 1AA', 'SW1A 1AA'],
  ];
  for (const [raw, want] of valid) {
    t.equal(ok(t, normalisePostcode(raw), raw).value, want, `${raw} → ${want}`);
    t.ok(isValidPostcode(raw));
  }
  t.same(ok(t, normalisePostcode('sw1a1aa'), 'parts').parts, {
    area: 'SW',
    district: 'SW1A',
    sector: 'SW1A 1',
    outward: 'SW1A',
    inward: '1AA',
  });
  t.same(ok(t, normalisePostcode('M1 1AE'), 'parts').parts, {
    area: 'M',
    district: 'M1',
    sector: 'M1 1',
    outward: 'M1',
    inward: '1AE',
  });
  t.same(ok(t, normalisePostcode('DN55 1PT'), 'parts').parts, {
    area: 'DN',
    district: 'DN55',
    sector: 'DN55 1',
    outward: 'DN55',
    inward: '1PT',
  });
  t.same(ok(t, normalisePostcode('W1A 0AX'), 'parts').parts, {
    area: 'W',
    district: 'W1A',
    sector: 'W1A 0',
    outward: 'W1A',
    inward: '0AX',
  });
});

t.test('postcodes: invalid, with the rule broken', async (t) => {
  err(t, normalisePostcode('QA1 1AA'), /cannot start with Q, V or X/, 'QA1 1AA');
  err(t, normalisePostcode('VA1 1AA'), /cannot start with Q, V or X/, 'V first');
  err(t, normalisePostcode('X1 1AA'), /cannot start with Q, V or X/, 'X first');
  err(t, normalisePostcode('AJ1 1AA'), /second letter .* cannot be I, J or Z/, 'AJ1 1AA');
  err(t, normalisePostcode('AI1 1AA'), /second letter .* cannot be I, J or Z/, 'I second');
  err(t, normalisePostcode('AZ11 1AA'), /second letter .* cannot be I, J or Z/, 'Z second');
  err(t, normalisePostcode('SW1A 1CA'), /inward code letters cannot be C, I, K, M, O or V/, 'SW1A 1CA');
  for (const bad of 'CIKMOV') {
    err(t, normalisePostcode(`SW1A 1A${bad}`), /inward code letters cannot be/, `inward letter ${bad}`);
  }
  err(t, normalisePostcode('SW1A OAA'), /digit, not the letter O/, 'O typed for 0 is not fixed');
  err(t, normalisePostcode('SW1AOAA'), /digit, not the letter O/, 'O for 0 without space');
  err(t, normalisePostcode('SW1A 11A'), /end with two letters/, 'inward NNA');
  err(t, normalisePostcode('SW1A AAA'), /must start with a digit/, 'inward AAA');
  err(t, normalisePostcode('SWIA 1AA'), /outward code .* form/, 'I typed for 1');
  err(t, normalisePostcode('SWAA 1AA'), /outward code .* form/, 'AAAA outward');
  err(t, normalisePostcode('1W1A 1AA'), /must start with a letter/, 'starts with a digit');
  err(t, normalisePostcode('W1I 1AA'), /ANA must be one of/, 'ANA with I');
  err(t, normalisePostcode('SW1C 1AA'), /AANA must be one of/, 'AANA with C');
  err(
    t,
    normalisePostcode('SW1 1AAA'),
    /inward code .* must start with a digit/,
    'spaces are ignored: the last three characters are the inward code',
  );
  err(t, normalisePostcode('SW1A 1AAX'), /5 to 7/, '8 characters');
  err(t, normalisePostcode('1AA'), /5 to 7/, 'inward only');
  err(t, normalisePostcode('SW1A'), /5 to 7/, 'outward only');
  err(t, normalisePostcode('SW1A-1AA'), /only letters, digits and spaces/, 'hyphen');
  err(t, normalisePostcode('SW1A 1A£'), /only letters, digits and spaces/, 'symbol');
  t.notOk(isValidPostcode('QA1 1AA'));
  t.notOk(isValidPostcode(''));
});

t.test('NHS numbers', async (t) => {
  for (const raw of ['943 476 5919', '9434765919', '943-476-5919', ' 943 476 5919 ', '943\u00A0476\u00A05919']) {
    t.equal(ok(t, normaliseNhsNumber(raw), raw).value, '9434765919', `${raw} valid`);
  }
  t.equal(ok(t, normaliseNhsNumber('401 000 0090'), 'check 11 → 0').value, '4010000090', 'check digit 11 becomes 0');
  err(t, normaliseNhsNumber('943 476 5918'), /check digit does not match/, '943 476 5918');
  err(t, normaliseNhsNumber('943 476 9519'), /check digit does not match/, 'transposed digits');
  err(t, normaliseNhsNumber('401 000 0040'), /would be 10/, 'check digit 10 is never valid');
  err(t, normaliseNhsNumber('401 000 004'), /10 digits \(found 9\)/, 'nine digits');
  err(t, normaliseNhsNumber('94347659190'), /10 digits \(found 11\)/, 'eleven digits');
  err(t, normaliseNhsNumber('943 476 591A'), /only digits, spaces and hyphens/, 'letter');
  err(t, normaliseNhsNumber('943/476/5919'), /only digits, spaces and hyphens/, 'slash');
  err(t, normaliseNhsNumber('943.476.5919'), /only digits, spaces and hyphens/, 'full stop');
  err(t, normaliseNhsNumber('+943 476 5919'), /only digits, spaces and hyphens/, 'plus');

  t.equal(nhsCheckDigit('943476591'), 9);
  t.equal(nhsCheckDigit('401000009'), 0);
  t.equal(nhsCheckDigit('401000004'), undefined);
  t.throws(() => nhsCheckDigit('12345'), RangeError);

  // The test range is accepted when the check digit is right, and flagged by the helper.
  t.equal(ok(t, normaliseNhsNumber('999 000 0018'), 'test range').value, '9990000018');
  t.ok(isNhsTestRange('999 000 0018'));
  t.ok(isNhsTestRange('9990000000'));
  t.ok(isNhsTestRange('999-999-9999'));
  t.notOk(isNhsTestRange('998 999 9999'));
  t.notOk(isNhsTestRange('943 476 5919'));
  t.notOk(isNhsTestRange('99900000'), 'too short');
  t.notOk(isNhsTestRange('99900000000'), 'too long');
});

t.test('addresses', async (t) => {
  const cases: Array<[string, string]> = [
    ['12 High St', '12 high street'],
    ['12 High St.', '12 high street'],
    ['12, High-Street.', '12 high street'],
    ['1 Station Rd', '1 station road'],
    ['4 Acacia Ave', '4 acacia avenue'],
    ['7 Mill Ln', '7 mill lane'],
    ['9 Oak Cl', '9 oak close'],
    ['2 Royal Cres', '2 royal crescent'],
    ['5 Park Dr', '5 park drive'],
    ['6 Kings Ct', '6 kings court'],
    ['8 Queens Pl', '8 queens place'],
    ['3 Berkeley Sq', '3 berkeley square'],
    ['10 Kew Gdns', '10 kew gardens'],
    ['Apt 4, 22 Acacia Ave', 'flat 4 22 acacia avenue'],
    ['Apartment 4, 22 Acacia Avenue', 'flat 4 22 acacia avenue'],
    ['FLAT 4 22 ACACIA AVENUE', 'flat 4 22 acacia avenue'],
    ['12 St Mary\u2019s Rd', '12 saint marys road'],
    ["St Mary's Road", 'saint marys road'],
    ['Church St, St Albans', 'church street saint albans'],
    ['1 High St North', '1 high street north'],
    ['12high st', '12 high street'],
    ['12A Church Ln', '12a church lane'],
    ['1st Floor, 2 Rue Café', '1st floor 2 rue cafe'],
    ['  10   Downing   Street  ', '10 downing street'],
  ];
  for (const [raw, want] of cases) t.equal(ok(t, normaliseAddress(raw), raw).value, want, `${raw} → ${want}`);

  const full = ok(t, normaliseAddress("Flat 3, 12 St Mary's Rd, London SW1A 1AA"), 'full address');
  t.equal(full.value, 'flat 3 12 saint marys road london', 'postcode removed from the value');
  t.same(full.parts, { flat: '3', number: '12', street: 'saint marys road london', postcode: 'SW1A 1AA' });
  const glued = ok(t, normaliseAddress('12 High St, Manchester, m11ae'), 'glued postcode');
  t.equal(glued.value, '12 high street manchester');
  t.equal((glued.parts as { postcode?: string }).postcode, 'M1 1AE');
  const kept = ok(t, normaliseAddress('12 High St, Unit SW1'), 'no postcode');
  t.equal(kept.value, '12 high street unit sw1', 'a partial postcode is not removed');
  t.equal((kept.parts as { postcode?: string }).postcode, undefined);
  const invalidPc = ok(t, normaliseAddress('12 High St QA1 1AA'), 'invalid postcode kept');
  t.equal(invalidPc.value, '12 high street qa1 1 aa', 'an invalid postcode is left in the text (as ordinary words)');
  t.equal((invalidPc.parts as { postcode?: string }).postcode, undefined);
  t.same(ok(t, normaliseAddress('Flat B, 7 Oak Cl'), 'flat letter').parts, {
    flat: 'b',
    number: '7',
    street: 'oak close',
  });
  t.same(ok(t, normaliseAddress('Rose Cottage, Mill Ln'), 'no number').parts, { street: 'rose cottage mill lane' });
  t.same(ok(t, normaliseAddress('flat3 22 acacia ave'), 'glued flat').parts, {
    flat: '3',
    number: '22',
    street: 'acacia avenue',
  });

  err(t, normaliseAddress('SW1A 1AA'), /only a postcode/, 'postcode only');
  err(t, normaliseAddress('---'), /no letters or digits/, 'punctuation only');
  err(t, normaliseAddress('12 High\u0000 St'), /control character/, 'control char');
  err(t, normaliseAddress('a'.repeat(301)), /longer than 300/, 'too long');
  t.equal(Object.keys(ADDRESS_ABBREVIATIONS).includes('st'), false, 'st is handled by the saint/street rule');
});

t.test('identifiers: separators dropped, case folded, anything else refused', async (t) => {
  t.equal(ok(t, normaliseIdentifier(' AB 12-34/56.c '), 'mixed').value, 'ab123456c');
  t.equal(
    ok(t, normaliseIdentifier('QQ 12 34 56 C'), 'NI number layout').value,
    ok(t, normaliseIdentifier('qq123456c'), 'NI number plain').value,
  );
  t.equal(ok(t, normaliseIdentifier('2004/0123456X'), 'PNC id').value, '20040123456x');
  t.equal(ok(t, normaliseIdentifier('Å123'), 'diacritic folded').value, 'a123');
  err(t, normaliseIdentifier('see notes!'), /only letters, digits/, 'punctuation');
  err(t, normaliseIdentifier('12\u000734'), /control character/, 'control character');
  err(t, normaliseIdentifier(' - / . '), /no letters or digits/, 'separators only');
  err(t, normaliseIdentifier('9'.repeat(65)), /longer than 64/, 'too long');
  t.ok(isMissing(normaliseIdentifier('  ')), 'blank is missing');
});

t.test('free text: folded, punctuation to spaces', async (t) => {
  t.equal(ok(t, normaliseText('  Bellbird  CTGE.  '), 'spaces').value, 'bellbird ctge');
  t.equal(ok(t, normaliseText("St. Mary's-on-Sea"), 'punctuation').value, 'st mary s on sea');
  t.equal(ok(t, normaliseText('Zürich'), 'diacritics').value, 'zurich');
  t.ok(isMissing(normaliseText(' -- ')), 'punctuation only is missing');
  err(t, normaliseText('a\u0000b'), /control character/, 'control character');
  err(t, normaliseText('x'.repeat(201)), /longer than 200/, 'too long');
});
