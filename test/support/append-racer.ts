// Run as a separate process by the store tests: reads a stream's version, then
// appends at that version, many times, racing another process doing the same.
import { ConflictError } from '../../src/domain/errors';
import { openDatabase } from '../../src/store/database';
import { appendToStream, currentStreamVersion } from '../../src/store/event-store';

const [databaseUrl, streamId, rounds] = process.argv.slice(2) as [string, string, string];
const db = await openDatabase(databaseUrl);
const metadata = { actor: `racer-${process.pid}`, requestId: 'r', causationId: 'r', correlationId: 'r', clientAddress: null, userAgent: null };
let appended = 0;
let conflicts = 0;
for (let i = 0; i < Number(rounds); i++) {
  const version = await currentStreamVersion(db, streamId);
  try {
    await db.transaction().execute((trx) =>
      appendToStream(trx, streamId, version, [{ type: 'KeyDeactivated', data: { keyId: streamId, projectId: 'p', reason: null } }], {
        metadata,
        recordedAt: new Date().toISOString(),
      }),
    );
    appended++;
  } catch (error) {
    if (!(error instanceof ConflictError)) throw error;
    conflicts++;
  }
}
await db.destroy();
console.log(JSON.stringify({ appended, conflicts }));
