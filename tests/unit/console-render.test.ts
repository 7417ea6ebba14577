import t from 'tap';
import { aggregatePatterns, comparisonsFor, modelFromParameters, weightHistogram } from '@blindlink/broker/scoring';
import { barChart, histogramChart } from '../../broker/dist/http/console/charts.js';
import { csv, csvField } from '../../broker/dist/http/console/csv.js';
import { diffLines } from '../../broker/dist/http/console/diff.js';

t.test('CSV fields: quoted when needed, formulas defused', async (t) => {
  t.equal(csvField('plain'), 'plain');
  t.equal(csvField('a,b'), '"a,b"');
  t.equal(csvField('say "hi"'), '"say ""hi"""');
  t.equal(
    csvField('=HYPERLINK("x")'),
    `"'=HYPERLINK(""x"")"`,
    'a formula is prefixed so a spreadsheet shows it as text',
  );
  t.equal(csvField('@SUM(A1)'), "'@SUM(A1)");
  t.equal(csvField('-12'), '-12', 'a negative number stays a number');
  t.equal(csvField(null), '');
  t.equal(csv(['a', 'b'], [[1, null]]), 'a,b\r\n1,\r\n');
});

t.test('line diff', async (t) => {
  t.same(diffLines('a\nb\nc', 'a\nx\nc'), [
    { op: 'same', text: 'a' },
    { op: 'removed', text: 'b' },
    { op: 'added', text: 'x' },
    { op: 'same', text: 'c' },
  ]);
  t.same(diffLines('a', 'a\nb'), [
    { op: 'same', text: 'a' },
    { op: 'added', text: 'b' },
  ]);
  t.same(diffLines('a\nb', ''), [
    { op: 'removed', text: 'a' },
    { op: 'removed', text: 'b' },
    { op: 'added', text: '' },
  ]);
});

t.test('bar chart: heights in proportion, suppressed bars empty', async (t) => {
  const c = barChart([
    { label: 'A', value: 40 },
    { label: 'B', value: null },
    { label: 'C', value: 10 },
  ]);
  t.equal(c.max, 40);
  t.equal(c.bars[0]!.height, 200, 'the largest fills the plot');
  t.equal(c.bars[2]!.height, 50, 'a quarter of it, a quarter of the height');
  t.equal(c.bars[1]!.height, 0, 'suppressed: no height');
  t.ok(c.bars[1]!.x > c.bars[0]!.x && c.bars[2]!.x > c.bars[1]!.x, 'left to right');
});

t.test('match-weight histogram: every candidate pair in the bin of its weight', async (t) => {
  const fields = comparisonsFor(['given_name', 'dob'], {}, [0.5]); // levels: missing, < 0.5, ≥ 0.5
  const model = modelFromParameters(
    fields,
    {
      lambda: 0.01,
      m: [
        [1, 0.1, 0.9],
        [1, 0.2, 0.8],
      ],
      u: [
        [1, 0.95, 0.05],
        [1, 0.99, 0.01],
      ],
    },
    // Pairs × fields levels: 3 pairs both high, 5 both low, 2 with dob missing.
    aggregatePatterns(
      Uint8Array.from([...Array(3).fill([2, 2]), ...Array(5).fill([1, 1]), [2, 0], [2, 0]].flat()),
      [3, 3],
    ),
    { pairs: 10, distinctPatterns: 3 } as never,
  );
  const h = weightHistogram(model);
  const prior = Math.log2(0.01 / 0.99);
  const expected = new Map([
    [prior + Math.log2(0.9 / 0.05) + Math.log2(0.8 / 0.01), 3],
    [prior + Math.log2(0.1 / 0.95) + Math.log2(0.2 / 0.99), 5],
    [prior + Math.log2(0.9 / 0.05), 2],
  ]);
  t.equal(h.totalPairs, 10);
  t.equal(h.binWidth, 1, 'a range of some 17 log2 units: bins one unit wide');
  t.same(
    h.bins.filter((b) => b.pairs > 0),
    [...expected]
      .sort(([a], [b]) => a - b)
      .map(([w, pairs]) => ({ from: Math.floor(w), to: Math.floor(w) + 1, pairs })),
  );
  t.ok(
    h.bins.every((b, i) => i === 0 || b.from === h.bins[i - 1]!.to),
    'contiguous bins',
  );
  t.ok(weightHistogram(model, 4).binWidth > 1, 'fewer bins allowed: wider bins');

  const c = histogramChart(h.bins, 2.5);
  t.equal(c.bars.length, h.bins.length);
  t.equal(Math.max(...c.bars.map((b) => b.height)), 200, 'the largest bin fills the plot');
  t.equal(
    c.bars.filter((b) => b.height === 0).length,
    h.bins.filter((b) => b.pairs === 0).length,
    'empty bins: no bar',
  );
  const at = c.bars.find((b) => b.from <= 2.5 && 2.5 < b.to)!;
  t.ok(c.threshold.x > at.x && c.threshold.x < at.x + 12, 'the threshold line inside its bin');
  t.equal(
    histogramChart(h.bins, 1000).threshold.x,
    c.bars.at(-1)!.x + 12,
    'a threshold beyond the weights: at the edge',
  );
});
