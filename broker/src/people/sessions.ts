import { type Kysely, sql } from 'kysely';
import type { Database } from '../db/schema.js';

/**
 * A person's access tokens are stateless (signed, 15 minutes), so on their own they outlive a logout.
 * Each names the person's session generation; logging out moves it on, which ends every token the
 * person holds, console and API alike, at once. One indexed read per request a person makes.
 */
export async function sessionIsCurrent(
  db: Kysely<Database>,
  token: { sub: string; role: string; ep?: number },
): Promise<boolean> {
  const person = await db
    .selectFrom('person')
    .select(['role', 'session_epoch'])
    .where('username', '=', token.sub)
    .executeTakeFirst();
  return person !== undefined && person.role === token.role && person.session_epoch === (token.ep ?? 0);
}

export async function endSessions(db: Kysely<Database>, username: string): Promise<void> {
  await db
    .updateTable('person')
    .set({ session_epoch: sql<number>`session_epoch + 1` })
    .where('username', '=', username)
    .execute();
}
