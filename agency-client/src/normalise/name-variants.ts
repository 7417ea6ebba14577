/**
 * Name variant tables: nicknames, spelling variants and transliteration groups.
 *
 * Each group lists a canonical form first, then the forms that should also carry it. A name's
 * `variants` are the canonical forms of its groups, so two spellings of one group share a token
 * (Bill → william, Billy → william; Mohamed → muhammad, Mohammed → muhammad). A nickname may belong
 * to several groups (Alex → alexander, alexandra): every canonical is returned, since extra tokens
 * only raise similarity a little and the other fields decide.
 *
 * All entries are already normalised: lower case ASCII, no spaces or punctuation.
 */

type Group = readonly [canonical: string, ...variants: string[]];

/** English / UK given-name nicknames and spelling variants (given names only). */
const NICKNAME_GROUPS: readonly Group[] = [
  ['william', 'bill', 'billy', 'billie', 'will', 'willie', 'willy', 'liam', 'gwilym'],
  ['robert', 'bob', 'bobby', 'rob', 'robbie', 'robby', 'rab', 'bert', 'bertie'],
  ['richard', 'dick', 'dickie', 'rick', 'ricky', 'rich', 'richie'],
  ['james', 'jim', 'jimmy', 'jimmie', 'jamie', 'jas', 'hamish'],
  ['john', 'jack', 'johnny', 'jonny', 'jock'],
  ['jonathan', 'jon', 'jonny', 'jonty'],
  ['elizabeth', 'liz', 'lizzie', 'lizzy', 'beth', 'betty', 'bette', 'bess', 'bessie', 'betsy', 'eliza', 'libby', 'elisabeth', 'elspeth'],
  ['margaret', 'peggy', 'peg', 'maggie', 'meg', 'marge', 'margie', 'madge', 'mags', 'maisie', 'greta'],
  ['edward', 'ed', 'eddie', 'eddy', 'ted', 'teddy', 'ned'],
  ['theodore', 'theo', 'ted', 'teddy'],
  ['thomas', 'tom', 'tommy', 'thom'],
  ['anthony', 'tony', 'antony', 'ant'],
  ['michael', 'mike', 'mick', 'micky', 'mickey', 'mikey'],
  ['christopher', 'chris', 'kit', 'topher'],
  ['christine', 'chris', 'chrissie', 'kristine'],
  ['christina', 'chris', 'tina', 'kristina'],
  ['alexander', 'alex', 'alec', 'alick', 'sandy', 'xander', 'aleksander', 'aleksandr', 'alexandr', 'aleksandar', 'oleksandr'],
  ['alexandra', 'alex', 'lexi', 'lexie', 'sandy'],
  ['alastair', 'alistair', 'alasdair', 'alister', 'al'],
  ['andrew', 'andy', 'drew'],
  ['stephen', 'steve', 'steven', 'stevie'],
  ['daniel', 'dan', 'danny'],
  ['david', 'dave', 'davy', 'davey', 'dai', 'dafydd'],
  ['joseph', 'joe', 'joey', 'jo', 'josef'],
  ['josephine', 'jo', 'josie'],
  ['joanne', 'jo', 'joanna', 'joann'],
  ['samuel', 'sam', 'sammy'],
  ['samantha', 'sam', 'sammy', 'sammie'],
  ['benjamin', 'ben', 'benny', 'benji'],
  ['matthew', 'matt', 'mat', 'matty', 'mathew'],
  ['nicholas', 'nick', 'nicky', 'nic', 'nicolas'],
  ['nicola', 'nicky', 'nikki', 'nicki'],
  ['patrick', 'pat', 'paddy', 'padraig', 'padraic'],
  ['patricia', 'pat', 'patty', 'patsy', 'tricia', 'trish'],
  ['peter', 'pete'],
  ['philip', 'phil', 'phillip', 'pip'],
  ['frederick', 'fred', 'freddie', 'freddy', 'frederic'],
  ['alfred', 'alf', 'alfie', 'fred', 'freddie'],
  ['charles', 'charlie', 'chas', 'chaz', 'chuck'],
  ['charlotte', 'charlie', 'lottie'],
  ['henry', 'harry', 'hal', 'hank'],
  ['harold', 'harry', 'hal'],
  ['katherine', 'kate', 'katie', 'katy', 'kathy', 'kath', 'kay', 'kitty', 'catherine', 'kathryn', 'katharine', 'cathy', 'cath', 'cathryn'],
  ['jennifer', 'jen', 'jenny', 'jenni'],
  ['deborah', 'debbie', 'deb', 'debra', 'debby'],
  ['susan', 'sue', 'susie', 'suzie', 'suzy'],
  ['rebecca', 'becky', 'becca', 'bex'],
  ['victoria', 'vicky', 'vicki', 'vikki', 'tori'],
  ['jacqueline', 'jackie', 'jacky', 'jacqui'],
  ['gerald', 'gerry', 'jerry', 'ged'],
  ['gerard', 'gerry', 'ged'],
  ['jeremy', 'jerry'],
  ['terence', 'terry', 'tel', 'terrence'],
  ['teresa', 'terry', 'tess', 'tessa', 'tessie', 'theresa'],
  ['lawrence', 'larry', 'laurie', 'laurence'],
  ['leonard', 'len', 'lenny'],
  ['raymond', 'ray'],
  ['ronald', 'ron', 'ronnie'],
  ['donald', 'don', 'donnie'],
  ['kenneth', 'ken', 'kenny'],
  ['douglas', 'doug', 'dougie'],
  ['gregory', 'greg'],
  ['timothy', 'tim', 'timmy'],
  ['nathaniel', 'nat', 'nate'],
  ['zachary', 'zach', 'zack', 'zak'],
  ['oliver', 'ollie', 'olly'],
  ['francis', 'frank', 'frankie', 'fran'],
  ['frances', 'fran', 'frankie', 'fanny'],
  ['albert', 'bert', 'bertie', 'al'],
  ['herbert', 'bert', 'herb'],
  ['ernest', 'ernie'],
  ['arthur', 'art', 'artie'],
  ['harriet', 'hattie', 'hatty'],
  ['dorothy', 'dot', 'dotty', 'dolly'],
  ['mary', 'molly', 'polly', 'mae'],
  ['sarah', 'sara', 'sally', 'sadie'],
  ['ann', 'anne', 'annie', 'nan', 'nancy'],
  ['helen', 'nell', 'nellie'],
  ['eleanor', 'ellie', 'nell', 'nellie', 'nora', 'elinor'],
  ['ellen', 'nell', 'nellie'],
  ['abigail', 'abbie', 'abby', 'abi', 'gail'],
  ['amanda', 'mandy', 'manda'],
  ['barbara', 'barb', 'barbs', 'babs'],
  ['caroline', 'carrie', 'caro', 'carolyn'],
  ['carol', 'carole'],
  ['cynthia', 'cindy'],
  ['lucinda', 'cindy'],
  ['jessica', 'jess', 'jessie'],
  ['judith', 'judy', 'jude'],
  ['louise', 'lou', 'lulu', 'louisa'],
  ['louis', 'lou', 'lewis'],
  ['madeleine', 'maddie', 'maddy', 'madeline', 'madelyn'],
  ['pamela', 'pam'],
  ['penelope', 'penny'],
  ['valerie', 'val'],
  ['winifred', 'winnie'],
  ['virginia', 'ginny'],
  ['stuart', 'stewart', 'stu'],
  ['graham', 'graeme', 'grahame'],
  ['geoffrey', 'geoff', 'jeffrey', 'jeff', 'jeffery'],
  ['malcolm', 'mal'],
  ['norman', 'norm'],
  ['reginald', 'reg', 'reggie'],
  ['sidney', 'sid', 'sydney'],
  ['stanley', 'stan'],
  ['walter', 'walt', 'wally'],
  ['bernard', 'bernie'],
  ['leslie', 'les', 'lesley'],
  ['dennis', 'denis'],
  ['derek', 'del', 'derrick'],
  ['neil', 'neal', 'neill', 'niall'],
  ['sean', 'shaun', 'shawn'],
  ['gary', 'garry', 'gaz'],
  ['gareth', 'gaz'],
  ['tracey', 'tracy'],
  ['lindsay', 'lindsey', 'linsey', 'lyndsey'],
  ['hayley', 'haley', 'hailey'],
  ['zoe', 'zoey'],
  ['isabel', 'isabelle', 'isobel', 'isabella', 'izzy', 'bella'],
  ['jacob', 'jake', 'jakob'],
  ['joshua', 'josh'],
  ['callum', 'calum'],
  ['connor', 'conor', 'conner'],
  ['aaron', 'aron', 'arron'],
  ['alan', 'allan', 'allen', 'al'],
];

/** Transliteration groups (Arabic, Urdu, Bengali, Slavic names); used for given names and surnames. */
const TRANSLITERATION_GROUPS: readonly Group[] = [
  ['muhammad', 'mohammed', 'mohammad', 'mohamed', 'mohamad', 'muhammed', 'muhamed', 'muhamad', 'mohammod', 'mohamud', 'mohmed', 'mohd', 'mahomed', 'mahammad', 'mehmet'],
  ['ahmed', 'ahmad', 'ahmet', 'ahamed'],
  ['hussain', 'hussein', 'husain', 'husein', 'hossain', 'hossein', 'husayn', 'hussien'],
  ['hassan', 'hasan'],
  ['ibrahim', 'ebrahim', 'ibraheem'],
  ['ismail', 'ismael', 'ismaeel', 'esmail'],
  ['yusuf', 'yousuf', 'yousef', 'youssef', 'yusef', 'yousif'],
  ['mustafa', 'mostafa', 'moustafa', 'mustapha'],
  ['usman', 'osman', 'othman', 'uthman'],
  ['umar', 'omar', 'omer'],
  ['abdul', 'abdool', 'abdel'],
  ['abdullah', 'abdulla', 'abdallah'],
  ['mahmood', 'mahmud', 'mehmood', 'mahmoud'],
  ['rashid', 'rasheed', 'rashed'],
  ['hamid', 'hameed', 'hamed'],
  ['khalid', 'khaled', 'khaleed'],
  ['tariq', 'tarik', 'tareq', 'tarek'],
  ['karim', 'kareem', 'kerim'],
  ['jamal', 'jamaal'],
  ['ayub', 'ayoub', 'ayyub', 'ayoob'],
  ['yaqub', 'yakub', 'yacoub', 'yaqoob', 'yakoob', 'yaqoub'],
  ['sulaiman', 'suleiman', 'sulayman', 'suleman'],
  ['hamza', 'hamzah'],
  ['faisal', 'faysal', 'feisal'],
  ['amir', 'ameer'],
  ['rahman', 'rehman'],
  ['shahid', 'shaheed'],
  ['aisha', 'ayesha', 'aysha', 'ayisha', 'aishah'],
  ['fatima', 'fatimah', 'fatma', 'fathima'],
  ['khadija', 'khadijah', 'khadeeja'],
  ['zainab', 'zaynab', 'zeinab'],
  ['maryam', 'mariam', 'maryum', 'mariyam'],
  ['yasmin', 'yasmeen', 'yasmine'],
  ['nadia', 'nadiya', 'nadya'],
  ['chaudhry', 'chaudhary', 'chaudhri', 'chaudry', 'choudhury', 'chowdhury', 'choudhry', 'choudhary', 'chowdhary'],
  ['siddiqui', 'siddiqi', 'siddique'],
  ['qureshi', 'kureshi', 'quraishi', 'qureishi'],
  ['sergei', 'sergey', 'serhii', 'serhiy'],
  ['dmitri', 'dmitry', 'dmitriy', 'dimitri', 'dmytro'],
  ['yuri', 'yury', 'yuriy', 'yurii', 'iurii'],
  ['alexei', 'aleksei', 'alexey', 'aleksey', 'oleksii', 'oleksiy'],
  ['andrei', 'andrey', 'andriy', 'andrii'],
  ['nikolai', 'nikolay', 'nicolai', 'mykola'],
  ['mikhail', 'mihail', 'mykhailo'],
  ['tatiana', 'tatyana', 'tetiana', 'tatjana'],
  ['natalia', 'natalya', 'nataliya'],
  ['yevgeny', 'evgeny', 'evgeni', 'yevgeniy', 'evgenii'],
  ['ekaterina', 'yekaterina', 'kateryna'],
];

/** Common UK surname spelling variants (surnames only). */
const SURNAME_GROUPS: readonly Group[] = [
  ['smith', 'smyth', 'smythe'],
  ['thompson', 'thomson'],
  ['clark', 'clarke'],
  ['davies', 'davis'],
  ['phillips', 'philips'],
  ['reid', 'reed', 'read'],
  ['brown', 'browne'],
  ['gray', 'grey'],
  ['stephens', 'stevens'],
  ['stephenson', 'stevenson'],
  ['matthews', 'mathews'],
  ['allen', 'allan', 'alan'],
  ['nicholson', 'nicolson'],
];

function buildLookup(groups: readonly Group[]): ReadonlyMap<string, readonly string[]> {
  const map = new Map<string, string[]>();
  for (const [canonical, ...variants] of groups) {
    for (const name of variants) {
      if (name === canonical) continue;
      const list = map.get(name) ?? [];
      if (!list.includes(canonical)) list.push(canonical);
      map.set(name, list);
    }
  }
  return map;
}

const GIVEN_LOOKUP = buildLookup([...NICKNAME_GROUPS, ...TRANSLITERATION_GROUPS]);
const SURNAME_LOOKUP = buildLookup([...SURNAME_GROUPS, ...TRANSLITERATION_GROUPS]);

/** Canonical forms for a normalised given name (empty if the name is canonical or unknown). */
export function givenNameCanonicals(name: string): readonly string[] {
  return GIVEN_LOOKUP.get(name) ?? [];
}

/** Canonical forms for a normalised surname (table only; Mac/Saint rules live in names.ts). */
export function surnameCanonicals(name: string): readonly string[] {
  return SURNAME_LOOKUP.get(name) ?? [];
}

/** The raw groups, exported for tests and documentation. */
export const NAME_VARIANT_GROUPS = Object.freeze({
  nicknames: NICKNAME_GROUPS,
  transliterations: TRANSLITERATION_GROUPS,
  surnames: SURNAME_GROUPS,
});
