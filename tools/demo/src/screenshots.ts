/**
 * `npm run screenshots`: the console's main pages as PNGs in docs/screenshots/, taken with Debian's
 * chromium (headless, through playwright-core) from the broker `npm run demo -- --serve` left running.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext } from 'playwright-core';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const WORK = resolve(process.env.BLINDLINK_DEMO_DIR ?? join(ROOT, '.blindlink-demo'));
const OUT = join(ROOT, 'docs', 'screenshots');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

interface ConsoleFile {
  url: string;
  accounts: { username: string; role: string; password: string }[];
}

async function main(): Promise<void> {
  let file: ConsoleFile;
  try {
    file = JSON.parse(readFileSync(join(WORK, 'console.json'), 'utf8')) as ConsoleFile;
  } catch {
    throw new Error(`no ${join(WORK, 'console.json')}: start \`npm run demo -- --serve\` first, and leave it running`);
  }
  mkdirSync(OUT, { recursive: true });
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  /**
   * The page at path, or the one its table's first link leads to (a run's page has no fixed address,
   * and is taken whole: its chart is below the fold).
   */
  const shot = async (context: BrowserContext, path: string, name: string, follow?: 'first row') => {
    const page = await context.newPage();
    await page.goto(`${file.url}${path}`);
    if (follow) await Promise.all([page.waitForURL((u) => u.pathname !== path), page.click('tbody a')]);
    await page.screenshot({ path: join(OUT, `${name}.png`), fullPage: follow !== undefined });
    await page.close();
    process.stdout.write(`docs/screenshots/${name}.png  ${new URL(page.url()).pathname}\n`);
  };
  const as = async (username: string) => {
    const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1024, height: 900 } });
    const who = file.accounts.find((a) => a.username === username)!;
    const page = await context.newPage();
    await page.goto(`${file.url}/login`);
    await page.fill('#username', who.username);
    await page.fill('#password', who.password);
    await Promise.all([page.waitForURL(`${file.url}/`), page.click('button:has-text("Sign in")')]);
    await page.close();
    return context;
  };
  try {
    const anyone = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1024, height: 900 } });
    await shot(anyone, '/transparency', 'transparency');
    await shot(anyone, '/login', 'login');
    const ig = await as('iona');
    await shot(ig, '/policies', 'ig-lead-policies');
    await shot(ig, '/audit?decision=refused', 'ig-lead-audit-refusals');
    const analyst = await as('andy');
    await shot(analyst, '/purposes/community-safety', 'analyst-runs');
    await shot(analyst, '/purposes/school-admissions-residency', 'analyst-run', 'first row');
    await shot(analyst, '/purposes/community-safety/aggregate', 'analyst-aggregate');
    const admin = await as('ada');
    await shot(admin, '/agencies', 'admin-agencies');
  } finally {
    await browser.close();
  }
}

main().catch((err) => {
  process.stderr.write(`screenshots: error: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
