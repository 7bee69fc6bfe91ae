import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CommandContext } from '../../src/commands/command-context';
import { openDatabase, type Db } from '../../src/store/database';

/** A fresh SQLite file in its own folder, removed by cleanup(). */
export async function tempDatabase() {
  const dir = mkdtempSync(join(tmpdir(), 'apikeys-db-'));
  const file = join(dir, 'apikeys.db');
  const db = await openDatabase(file);
  return {
    db,
    file,
    dir,
    async cleanup() {
      await db.destroy();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function commandContextFor(db: Db, actor = 'tester', now = () => new Date()): CommandContext {
  return { db, now, metadata: { actor, requestId: `req-${actor}`, causationId: `req-${actor}`, correlationId: `req-${actor}`, clientAddress: null, userAgent: null },
  };
}
