// Drops what the projections hold and replays the whole log into them: `npm run rebuild`.
import { rebuildProjections } from '../../projections/rebuild';
import { loadConfig } from '../server/config';
import { openDatabase } from '../store/database';

const { databaseUrl } = loadConfig();
const db = await openDatabase(databaseUrl);
const started = performance.now();
const { events } = await rebuildProjections(db);
const seconds = (performance.now() - started) / 1000;
console.log(`Rebuilt projections from ${events} events in ${seconds.toFixed(2)} s (${databaseUrl})`);
await db.destroy();
