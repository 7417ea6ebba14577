/** The report as text for a person (an IG lead attaching it to a DPIA). */
import type { GroupSizes } from './frequency.js';
import type { Rate } from './stats.js';
import type { Excess, OutcomeName, PrivacyReport } from './report.js';

const pct = (x: number): string => `${(100 * x).toFixed(x > 0 && x < 0.001 ? 3 : 1)}%`;
const rate = (r: Rate): string => `${pct(r.rate)} (95% CI ${pct(r.lo)}–${pct(r.hi)}, ${r.k}/${r.n})`;
const int = (n: number): string => n.toLocaleString('en-GB');

const ATTACK_NAMES: Record<OutcomeName, string> = {
  frequency: 'exact-repeat frequency alignment',
  mining: 'pattern mining (q-grams; for dates, mined tokens decoded over every plausible date)',
  graph: 'similarity-graph matching',
  'denoise-frequency': 'cluster-then-denoise, then exact-repeat frequency alignment',
  'denoise-mining': 'cluster-then-denoise, then pattern mining',
  'clk-mining': 'pattern mining of the record-level CLK',
  'mining-known-dates': 'date mining given the dates of a few records (known plaintext)',
  'split-frequency': 'split by salt value, then exact-repeat frequency alignment within each group',
  'split-mining': 'split by salt value, then pattern mining within each group',
  'split-denoise-frequency': 'split by salt value, then cluster-then-denoise and frequency alignment per group',
  'split-denoise-mining': 'split by salt value, then cluster-then-denoise and pattern mining per group',
};
const signed = (x: number): string => `${x < 0 ? '−' : '+'}${pct(Math.abs(x))}`;
const excess = (e: Excess): string => `${signed(e.rate)} (95% CI ${signed(e.lo)} to ${signed(e.hi)})`;

function groups(g: GroupSizes): string[] {
  return [
    `  identical filters: ${int(g.records)} records, ${int(g.distinct)} distinct filters; ` +
      `${pct(g.repeatedShare)} of records share their filter with another; largest group ${int(g.largest)}`,
    `    group sizes: ${g.buckets
      .filter((b) => b.groups > 0)
      .map((b) => `${b.size}: ${int(b.groups)} groups (${int(b.records)} records)`)
      .join('; ')}`,
  ];
}

export function formatReport(r: PrivacyReport): string {
  const out: string[] = [];
  const total = r.inputs.reduce((a, i) => a + i.records, 0);
  const first = r.inputs[0]!;
  out.push(
    `blindlink privacy report: ${r.inputs.length} file(s), ${int(total)} records, schema ${first.schema}, ` +
      `hardening ${first.hardening.length ? first.hardening.join(' + ') : 'none'}`,
  );
  for (const i of r.inputs) out.push(`  ${i.source}: ${int(i.records)} records`);
  out.push(`attacker's background: ${r.background.source} (${r.background.digest})`);
  out.push(
    r.truth
      ? `truth: ${int(r.truth.rows)} rows; "measured" rates below are re-identification rates checked against it`
      : 'no truth given: no rate below is measured. Frequency alignment is ESTIMATED from the group sizes ' +
          "against the background; the other attacks show only the ATTACKER'S OWN CONFIDENCE (filters decoding " +
          'to one candidate with a margin), which it cannot check',
  );
  out.push('');
  for (const f of r.fields) {
    out.push(f.field);
    out.push(...groups(f.groups));
    if (f.crossSource)
      out.push(
        `  equal across files: ${int(f.crossSource.sharedFilters)} filters appear identically in two or ` +
          `more files (${int(f.crossSource.records)} records, ${pct(f.crossSource.share)})`,
      );
    if (f.floor)
      out.push(
        `  floor (guessing "${f.floor.value}", the background's commonest, for everyone): ` +
          (f.floor.measured ? `measured ${rate(f.floor.measured)}` : `expected ${pct(f.floor.expected)}`),
      );
    for (const [name, o] of Object.entries(f.attacks) as [
      OutcomeName,
      NonNullable<(typeof f.attacks)[OutcomeName]>,
    ][]) {
      out.push(`  ${ATTACK_NAMES[name]}:`);
      if (o.measured) out.push(`    measured top-1 ${rate(o.measured.top1)}; top-10 ${rate(o.measured.top10)}`);
      if (o.excess) out.push(`    excess over the floor: ${excess(o.excess)}`);
      if (o.yearTop1) out.push(`    year of birth right (top-1): ${rate(o.yearTop1)}`);
      if (o.estimated)
        out.push(
          `    estimated top-1 ${pct(o.estimated.rate)} (${pct(o.estimated.lo)}–${pct(o.estimated.hi)}): ` +
            `${o.estimated.method}`,
        );
      if (o.attackerConfident)
        out.push(
          `    attacker's own confidence (not measured): ${rate(o.attackerConfident)} of records decode ` +
            `to one candidate with a margin`,
        );
      if (o.detail)
        out.push(
          `    ${Object.entries(o.detail)
            .map(([k, v]) => `${k} ${v}`)
            .join(', ')}`,
        );
    }
    out.push('');
  }
  out.push('record-level CLKs');
  out.push(...groups(r.clk));
  for (const n of r.notes) out.push(`note: ${n}`);
  out.push(`digest ${r.digest}`);
  return out.join('\n') + '\n';
}
