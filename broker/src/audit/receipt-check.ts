import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Kysely } from 'kysely';
import { parseAuditReceipt, verifyAuditReceipt, type AuditReceipt } from '@blindlink/protocol';
import type { Database } from '../db/schema.js';

/**
 * Checking a trail against the receipts agencies kept (see protocol/src/audit.ts). Each receipt is the
 * broker's signature, given at the time, that row `seq` of its chain had hash `hash`. A trail that
 * lacks a receipted row was cut back after the receipt was handed out ("truncated"); one whose row
 * has another hash was rewritten. Neither can be hidden by re-signing checkpoints, since the receipts
 * are out of the broker's reach.
 */

export interface HeldReceipt {
  receipt: AuditReceipt;
  /** file:line it came from, for the messages. */
  source: string;
}

export class ReceiptFileError extends Error {}

/** Every `*.jsonl` file under `path` (or `path` itself if it is a file), sorted for stable messages. */
function receiptFiles(path: string): string[] {
  const st = statSync(path);
  if (st.isFile()) return [path];
  return (readdirSync(path, { recursive: true }) as string[])
    .filter((f) => f.endsWith('.jsonl'))
    .map((f) => join(path, f))
    .filter((f) => statSync(f).isFile())
    .sort();
}

/**
 * Loads and verifies every receipt under `path` with the broker key the IG lead holds. A receipt that
 * does not verify, or two validly signed receipts naming different hashes for one row, is an error:
 * the first is forged or corrupt, the second proves the broker's key signed two histories.
 * A last line without its newline (a client stopped mid-write) is skipped.
 */
export function loadReceipts(path: string, brokerKey: Uint8Array): HeldReceipt[] {
  let files: string[];
  try {
    files = receiptFiles(path);
  } catch (err) {
    throw new ReceiptFileError(
      `cannot read receipts at ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
  const bySeq = new Map<number, HeldReceipt>();
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    const lines = text.split('\n');
    const unterminated = lines.pop();
    if (unterminated) lines.push(...(tryJson(unterminated) === undefined ? [] : [unterminated]));
    lines.forEach((line, i) => {
      if (!line.trim()) return;
      const source = `${file}:${i + 1}`;
      const parsed = parseAuditReceipt(tryJson(line));
      if (!parsed.ok) throw new ReceiptFileError(`receipt ${source} is unreadable: ${parsed.reason}`);
      const check = verifyAuditReceipt(parsed.receipt, brokerKey);
      if (!check.ok)
        throw new ReceiptFileError(`receipt ${source} (row ${parsed.receipt.seq}) is REJECTED: ${check.reason}`);
      const seen = bySeq.get(parsed.receipt.seq);
      if (seen && seen.receipt.hash !== parsed.receipt.hash) {
        throw new ReceiptFileError(
          `rewritten: receipts ${seen.source} and ${source} are both signed by the broker but give row ` +
            `${parsed.receipt.seq} different hashes: the broker's key signed two histories`,
        );
      }
      if (!seen) bySeq.set(parsed.receipt.seq, { receipt: parsed.receipt, source });
    });
  }
  return [...bySeq.values()].sort((a, b) => a.receipt.seq - b.receipt.seq);
}

function tryJson(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    return undefined;
  }
}

export interface ReceiptVerdict {
  /** One line per receipt the trail fails, lowest row first. */
  failures: string[];
  /** Receipts found with their exact hash. */
  matched: number;
  /** Receipts not checked: before a partial export's first row, or issued at or after --issued-before. */
  skipped: number;
  newest: AuditReceipt | null;
}

/**
 * Matches receipts against rows as they stream past (an export) or are looked up (the database).
 * `where` names the trail in messages ("the export", "the database").
 */
export class ReceiptMatcher {
  readonly #wanted: Map<number, HeldReceipt>;
  readonly #seen = new Map<number, string>();

  constructor(
    readonly receipts: HeldReceipt[],
    readonly where: string,
    /** Receipts issued at or after this time are not checked (an export made before they existed). */
    readonly issuedBefore?: Date,
  ) {
    this.#wanted = new Map(receipts.map((r) => [r.receipt.seq, r]));
  }

  /** Rows the matcher still needs (seq numbers). */
  get seqs(): number[] {
    return [...this.#wanted.keys()];
  }

  observe(seq: number, hash: string): void {
    if (this.#wanted.has(seq)) this.#seen.set(seq, hash);
  }

  /** After every row from `fromSeq` to `toSeq` was observed. */
  verdict(range: { fromSeq: number; toSeq: number }): ReceiptVerdict {
    const out: ReceiptVerdict = { failures: [], matched: 0, skipped: 0, newest: null };
    for (const { receipt: r, source } of this.receipts) {
      if (r.seq < range.fromSeq || (this.issuedBefore && Date.parse(r.at) >= this.issuedBefore.getTime())) {
        out.skipped++;
        continue;
      }
      const hash = this.#seen.get(r.seq);
      if (hash === undefined) {
        out.failures.push(
          `truncated: receipt seq ${r.seq} (issued ${r.at}) is not in ${this.where}, which ends at row ` +
            `${range.toSeq} [${source}]`,
        );
      } else if (hash !== r.hash) {
        out.failures.push(
          `rewritten: receipt seq ${r.seq} (issued ${r.at}) was signed for hash ${r.hash.slice(0, 16)}…, ` +
            `but row ${r.seq} in ${this.where} has hash ${hash.slice(0, 16)}… [${source}]`,
        );
      } else {
        out.matched++;
        if (!out.newest || r.seq > out.newest.seq) out.newest = r;
      }
    }
    return out;
  }
}

/** The live database: looks up each receipted row (the chain itself is verified separately). */
export async function matchReceiptsInDatabase(db: Kysely<Database>, matcher: ReceiptMatcher): Promise<ReceiptVerdict> {
  const seqs = matcher.seqs;
  for (let i = 0; i < seqs.length; i += 1000) {
    const rows = await db
      .selectFrom('audit_log')
      .select(['seq', 'hash'])
      .where('seq', 'in', seqs.slice(i, i + 1000))
      .execute();
    for (const r of rows) matcher.observe(r.seq, r.hash);
  }
  const head = await db
    .selectFrom('audit_log')
    .select((eb) => eb.fn.max('seq').as('seq'))
    .executeTakeFirst();
  return matcher.verdict({ fromSeq: 1, toSeq: Number(head?.seq ?? 0) });
}

/** The lines to print: each failure, or one line saying what the receipts vouch for. */
export function describeReceipts(v: ReceiptVerdict, where: string): string {
  if (v.failures.length) {
    const shown = v.failures.slice(0, 20);
    return (
      `audit receipts FAIL: ${v.failures.length} receipt(s) not matched by ${where}\n` +
      shown.map((f) => `  ${f}\n`).join('') +
      (v.failures.length > shown.length ? `  … and ${v.failures.length - shown.length} more\n` : '')
    );
  }
  const newest = v.newest ? `; the newest on row ${v.newest.seq}, issued ${v.newest.at}` : '';
  const skipped = v.skipped ? `; ${v.skipped} not checked (outside the range, or issued after --issued-before)` : '';
  return (
    `audit receipts verified: ${v.matched} receipt(s) found in ${where} ` +
    `with the hash the broker signed${newest}${skipped}\n`
  );
}
