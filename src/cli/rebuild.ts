// Replays the whole log into fresh projection tables and swaps them in: `npm run rebuild`.
// Safe beside a running server: it works in short transactions (see projections/rebuild.ts).
import { rebuildProjections } from '../../projections/rebuild';
import { loadDatabaseUrl, loadOrExit } from '../config/load-config';
import { maskUrl } from '../config/mask-url';
import { StartFailure } from '../config/start-failure';
import { type Db, openDatabase } from '../store/database';

const databaseUrl = loadOrExit('Not rebuilding', loadDatabaseUrl);
let db: Db;
try {
  db = await openDatabase(databaseUrl);
} catch (error) {
  if (!(error instanceof StartFailure)) throw error;
  console.error(`Not rebuilding: ${error.message}`);
  process.exit(1);
}
const started = performance.now();
let reported = 0;
const { events } = await rebuildProjections(db, {
  onProgress: (projected) => {
    // A line every 100k events, so a long rebuild shows it is moving.
    if (projected - reported >= 100_000) console.error(`… ${(reported = projected)} events`);
  },
});
const seconds = (performance.now() - started) / 1000;
console.log(`Rebuilt projections from ${events} events in ${seconds.toFixed(2)} s (${maskUrl(databaseUrl)})`);
await db.destroy();
