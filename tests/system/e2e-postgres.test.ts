import t from 'tap';
import { freshPostgres } from '../helpers/postgres.js';
import { thinPath } from '../helpers/thin-path.js';

t.test('thin path end to end on real PostgreSQL', async (t) => {
  const pg = await freshPostgres();
  t.teardown(() => pg.drop());
  await thinPath(t, { databaseUrl: pg.url });
});
