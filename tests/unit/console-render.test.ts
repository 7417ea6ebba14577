import t from 'tap';
import { barChart } from '../../broker/dist/http/console/charts.js';
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
