import t from 'tap';
import { thinPath } from '../helpers/thin-path.js';

t.test('thin path end to end on embedded PGlite', async (t) => {
  await thinPath(t, {});
});
