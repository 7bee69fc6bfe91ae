import type { CommandContext } from '../../src/commands/command-context';
import { type Db, openDatabase } from '../../src/store/database';
import { createTestDatabase } from './test-database';

/** A database of its own (see createTestDatabase), opened and migrated; removed by cleanup(). */
export async function tempDatabase() {
  const database = await createTestDatabase();
  const db = await openDatabase(database.url);
  return {
    db,
    url: database.url,
    async cleanup() {
      await db.destroy();
      await database.cleanup();
    },
  };
}

export function commandContextFor(db: Db, actor = 'tester', now = () => new Date()): CommandContext {
  return {
    db,
    now,
    metadata: { actor, requestId: `req-${actor}`, causationId: `req-${actor}`, correlationId: `req-${actor}`, clientAddress: null, userAgent: null },
  };
}
