import type { Prng } from './prng.js';

/**
 * How the same name gets written differently across systems: nicknames, spelling/transliteration
 * variants, particles (O'Neill / ONeill / O Neill, Mc / Mac), hyphens and diacritics.
 */

/** Formal given name → nicknames a person may be recorded under. */
export const NICKNAMES: Readonly<Record<string, readonly string[]>> = {
  William: ['Bill', 'Will', 'Billy', 'Liam'],
  Robert: ['Bob', 'Rob', 'Bobby', 'Robbie'],
  Margaret: ['Peggy', 'Maggie', 'Meg', 'Margo'],
  Elizabeth: ['Liz', 'Beth', 'Betty', 'Lizzie', 'Eliza'],
  Richard: ['Dick', 'Rich', 'Rick', 'Richie'],
  James: ['Jim', 'Jimmy', 'Jamie'],
  John: ['Jack', 'Johnny'],
  Edward: ['Ed', 'Eddie', 'Ted', 'Ned'],
  Catherine: ['Kate', 'Cathy', 'Katie'],
  Katherine: ['Kate', 'Kathy', 'Katie'],
  Kathryn: ['Kate', 'Kathy'],
  Kathleen: ['Kath', 'Kathy'],
  Thomas: ['Tom', 'Tommy'],
  Michael: ['Mike', 'Mick', 'Mikey'],
  Christopher: ['Chris', 'Kit'],
  Anthony: ['Tony'],
  Alexander: ['Alex', 'Sandy', 'Xander'],
  Samuel: ['Sam', 'Sammy'],
  Samantha: ['Sam', 'Sammy'],
  Jennifer: ['Jen', 'Jenny'],
  Rebecca: ['Becky', 'Becca'],
  Victoria: ['Vicky', 'Tori'],
  Daniel: ['Dan', 'Danny'],
  David: ['Dave', 'Davy'],
  Joseph: ['Joe', 'Joey'],
  Matthew: ['Matt'],
  Andrew: ['Andy', 'Drew'],
  Benjamin: ['Ben', 'Benny'],
  Nicholas: ['Nick', 'Nicky'],
  Jonathan: ['Jon', 'Jonny'],
  Stephen: ['Steve'],
  Steven: ['Steve'],
  Peter: ['Pete'],
  Patricia: ['Pat', 'Patsy', 'Trish'],
  Patrick: ['Pat', 'Paddy'],
  Susan: ['Sue', 'Susie'],
  Deborah: ['Debbie', 'Debs'],
  Christine: ['Chris', 'Chrissie'],
  Dorothy: ['Dot', 'Dolly'],
  Mary: ['Polly', 'Molly'],
  Sarah: ['Sally'],
  Henry: ['Harry', 'Hal'],
  Charles: ['Charlie', 'Chas'],
  Frederick: ['Fred', 'Freddie'],
  Timothy: ['Tim'],
  Kenneth: ['Ken', 'Kenny'],
  Ronald: ['Ron', 'Ronnie'],
  Donald: ['Don'],
  Gerald: ['Gerry'],
  Leonard: ['Len', 'Lenny'],
  Albert: ['Bert', 'Al'],
  Harold: ['Harry', 'Hal'],
  Josephine: ['Jo', 'Josie'],
  Joanne: ['Jo'],
  Jacqueline: ['Jackie'],
  Oliver: ['Ollie'],
  Isabella: ['Izzy', 'Bella'],
  Isabelle: ['Izzy', 'Belle'],
  Amelia: ['Millie'],
  Eleanor: ['Ellie', 'Nell'],
  Florence: ['Flo'],
  Abigail: ['Abby'],
  Gabriel: ['Gabe'],
  Nathaniel: ['Nat', 'Nate'],
  Zachary: ['Zach'],
  Frances: ['Fran', 'Frankie'],
  Alfred: ['Alf', 'Alfie'],
  Jessica: ['Jess'],
  Gillian: ['Gill'],
  Pamela: ['Pam'],
  Barbara: ['Babs'],
  Valerie: ['Val'],
  Raymond: ['Ray'],
  Terence: ['Terry'],
  Geoffrey: ['Geoff'],
  Philip: ['Phil'],
  Douglas: ['Doug'],
  Stanley: ['Stan'],
  Bernard: ['Bernie'],
  Reginald: ['Reg'],
  Leslie: ['Les'],
  Malcolm: ['Mal'],
  Graham: ['Gray'],
  Gareth: ['Gaz'],
  Ashley: ['Ash'],
  Dominic: ['Dom'],
  Nathan: ['Nate'],
  Natalie: ['Nat'],
  Stephanie: ['Steph'],
  Danielle: ['Dani'],
  Charlotte: ['Lottie', 'Charlie'],
  Hannah: ['Han'],
  Harriet: ['Hattie'],
  Matilda: ['Tilly'],
  Theodore: ['Theo', 'Ted'],
  Archibald: ['Archie'],
  Dafydd: ['Dai', 'Dave'],
  Siobhán: ['Shiv'],
  Pádraig: ['Paddy'],
  Mohammed: ['Mo'],
  Muhammad: ['Mo'],
  Abdullah: ['Abdul'],
  Małgorzata: ['Gosia'],
  Katarzyna: ['Kasia'],
  Aleksandra: ['Ola'],
  Tomasz: ['Tomek'],
  Piotr: ['Piotrek'],
  Łukasz: ['Luke'],
  Krzysztof: ['Chris'],
  Oluwaseun: ['Seun'],
  Chukwuemeka: ['Emeka'],
  Funmilayo: ['Funmi'],
  Temitope: ['Tope'],
  Alistair: ['Ali'],
  Alasdair: ['Ali'],
  Elspeth: ['Elsie'],
};

/** Groups of spellings and transliterations of the same name. */
const VARIANT_GROUPS: readonly (readonly string[])[] = [
  ['Mohammed', 'Muhammad', 'Mohammad', 'Mohamed', 'Muhammed', 'Mohamad'],
  ['Catherine', 'Katherine', 'Kathryn', 'Catharine'],
  ['Stephen', 'Steven'],
  ['Sara', 'Sarah'],
  ['Ann', 'Anne'],
  ['Philip', 'Phillip'],
  ['Geoffrey', 'Jeffrey', 'Jeffery'],
  ['Zoë', 'Zoe', 'Zoey'],
  ['Siân', 'Sian', 'Sián'],
  ['Róisín', 'Roisin', 'Rosheen'],
  ['Seán', 'Sean', 'Shaun', 'Shawn'],
  ['Aisha', 'Ayesha', 'Aysha'],
  ['Yusuf', 'Yousuf', 'Youssef', 'Yousef'],
  ['Hussain', 'Hussein', 'Husain', 'Hossain'],
  ['Ahmed', 'Ahmad'],
  ['Mariam', 'Maryam', 'Miriam'],
  ['Fatima', 'Fatimah'],
  ['Isobel', 'Isabel', 'Isabelle', 'Izabel'],
  ['Aiden', 'Aidan', 'Ayden'],
  ['Lewis', 'Louis'],
  ['Alistair', 'Alasdair', 'Alastair'],
  ['Niamh', 'Neve', 'Neeve'],
  ['Euan', 'Ewan', 'Ewen'],
  ['Callum', 'Calum'],
  ['Tracey', 'Tracy'],
  ['Kirsty', 'Kirstie', 'Kirsti'],
  ['Lindsay', 'Lindsey'],
  ['Jodie', 'Jody'],
  ['Hayley', 'Haley'],
  ['Leanne', 'Leann', 'Lianne'],
  ['Rebecca', 'Rebekah'],
  ['Lee', 'Leigh'],
  ['Carl', 'Karl'],
  ['Sandra', 'Sondra'],
  ['Claire', 'Clare'],
  ['Elliot', 'Elliott'],
  ['Matthew', 'Mathew'],
  ['Jayden', 'Jaden', 'Jaiden'],
  ['Freddie', 'Freddy'],
  ['Alfie', 'Alfy'],
  ['Amélie', 'Amelie'],
  ['Chloé', 'Chloe'],
  ['Abdul', 'Abdool'],
  ['Harpreet', 'Harprit'],
  ['Smith', 'Smyth', 'Smythe'],
  ['Thompson', 'Thomson', 'Tomson'],
  ['Phillips', 'Philips'],
  ['Reid', 'Reed', 'Read'],
  ['Davies', 'Davis'],
  ['Stewart', 'Stuart'],
  ['Gray', 'Grey'],
  ['Clarke', 'Clark'],
  ['Matthews', 'Mathews'],
  ['Chowdhury', 'Choudhury', 'Chaudhry', 'Chaudhary'],
  ['Mohammed', 'Mohammad'],
  ['Rahman', 'Rehman'],
  ['Mahmood', 'Mahmud', 'Mehmood'],
  ['Qureshi', 'Kureshi'],
  ['Siddiqui', 'Siddiqi'],
  ['Miah', 'Mia', 'Meah'],
  ['Uddin', 'Udin'],
  ['Shah', 'Sha'],
  ['Johnston', 'Johnstone'],
  ['Nicholls', 'Nichols'],
  ['Elliott', 'Elliot'],
  ['Cooke', 'Cook'],
  ['Wong', 'Huang'],
  ['Chan', 'Chen'],
  ['Lee', 'Li'],
  ['Nowak', 'Novak'],
  ['Wójcik', 'Wojcik', 'Voytsik'],
];

const VARIANTS: ReadonlyMap<string, readonly string[]> = (() => {
  const m = new Map<string, string[]>();
  for (const group of VARIANT_GROUPS) {
    for (const name of group) {
      const others = group.filter((g) => g !== name);
      const existing = m.get(name);
      if (existing) {
        for (const o of others) if (!existing.includes(o)) existing.push(o);
      } else m.set(name, [...others]);
    }
  }
  return m;
})();

export function nicknamesOf(given: string): readonly string[] {
  return NICKNAMES[given] ?? [];
}

/** A spelling/transliteration variant, or a generic phonetic respelling when none is listed. */
export function spellingVariant(name: string, rng: Prng): string {
  const listed = VARIANTS.get(name);
  if (listed && listed.length > 0) return rng.pick(listed);
  return phoneticRespell(name, rng);
}

export function hasListedVariant(name: string): boolean {
  return VARIANTS.has(name);
}

const RESPELLINGS: readonly [RegExp, string][] = [
  [/ph/i, 'f'],
  [/ie$/, 'y'],
  [/y$/, 'ie'],
  [/ey$/, 'y'],
  [/([bcdfglmnprst])\1/, '$1'],
  [/ck/, 'k'],
  [/c(?=[aou])/, 'k'],
  [/k(?=[aou])/, 'c'],
  [/ou/, 'ow'],
  [/ee/, 'ea'],
  [/ei/, 'ie'],
  [/s$/, 'z'],
  [/([aeiou])([lnrt])([aeiou])/, '$1$2$2$3'],
];

/** Sound-alike respelling (Philips → Filips, Mathew → Matthew) for names with no listed variant. */
export function phoneticRespell(name: string, rng: Prng): string {
  const start = rng.int(RESPELLINGS.length);
  for (let i = 0; i < RESPELLINGS.length; i++) {
    const [re, rep] = RESPELLINGS[(start + i) % RESPELLINGS.length] as [RegExp, string];
    // Keep the initial letter: respellings happen inside names far more often than at their start.
    const head = name.charAt(0);
    const tail = name.slice(1);
    if (re.test(tail)) return head + tail.replace(re, rep);
  }
  return name;
}

/** Strip diacritics and map letters that do not decompose (Ł, Ø, ß). */
export function foldDiacritics(s: string): string {
  return s
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/Ł/g, 'L')
    .replace(/ł/g, 'l')
    .replace(/Ø/g, 'O')
    .replace(/ø/g, 'o')
    .replace(/ß/g, 'ss')
    .replace(/[’‘]/g, "'");
}

/**
 * A different but plausible way a system writes the same surname: particles (O'Neill → ONeill,
 * O Neill, O'neill), Mc/Mac, hyphenated or double-barrelled names cut or joined, diacritics lost.
 * Returns the input unchanged when no format variant applies.
 */
export function surnameFormatVariant(surname: string, rng: Prng): string {
  const options: string[] = [];
  const particle = /^(O|D)'(\p{Lu})(.*)$/u.exec(surname);
  if (particle) {
    const [, p, c, rest] = particle;
    options.push(`${p}${c}${rest}`, `${p} ${c}${rest}`, `${p}'${(c ?? '').toLowerCase()}${rest}`, `${c}${rest}`);
  }
  const mac = /^(Mac|Mc)(\s?)(\p{Lu})(.*)$/u.exec(surname);
  if (mac) {
    const [, p, , c, rest] = mac;
    const other = p === 'Mac' ? 'Mc' : 'Mac';
    options.push(`${other}${c}${rest}`, `${p}${(c ?? '').toLowerCase()}${rest}`, `${p} ${c}${rest}`);
  }
  if (surname.includes('-') || / \p{Lu}/u.test(surname)) {
    const parts = surname.split(/[- ]/).filter((x) => x.length > 0);
    if (parts.length >= 2) {
      const sep = surname.includes('-') ? ' ' : '-';
      options.push(parts.join(sep), parts.join(''), parts[parts.length - 1] as string, parts[0] as string);
    }
  }
  if (/^(Ó|Mac|van der|De|Da|ap) /.test(surname)) options.push(surname.replace(/ /, ''));
  const folded = foldDiacritics(surname);
  if (folded !== surname) options.push(folded);
  if (options.length === 0) return surname;
  return rng.pick(options);
}

/** Diacritics dropped from a given name (Siân → Sian), or the name unchanged. */
export function givenFormatVariant(given: string, rng: Prng): string {
  const folded = foldDiacritics(given);
  if (folded !== given) return folded;
  if (given.includes(' ')) return rng.chance(0.5) ? given.replace(' ', '') : given.replace(' ', '-');
  return given;
}

/** Polish surnames agree in gender: Kowalski (m), Kowalska (f). */
export function feminineSurname(surname: string): string {
  if (/(ski|cki|dzki)$/.test(surname)) return surname.slice(0, -1) + 'a';
  return surname;
}

export function masculineSurname(surname: string): string {
  if (/(ska|cka|dzka)$/.test(surname)) return surname.slice(0, -1) + 'i';
  return surname;
}
