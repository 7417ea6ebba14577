import t from 'tap';
import { freshPostgres } from '../helpers/postgres.js';
import { thinPath } from '../helpers/thin-path.js';

t.test('thin path end to end on real PostgreSQL', async (t) => {
  // Empty: the operator's first command migrates it, as on a new install.
  const pg = await freshPostgres({ empty: true });
  t.teardown(() => pg.drop());
  await thinPath(t, { databaseUrl: pg.url });
});
