// Applies the schema migrations to DATABASE_URL: `npm run migrate`.
// The server applies them on start too, unless MIGRATE_ON_START=false.
import { loadConfig } from '../server/config';
import { openDatabase } from '../store/database';

const { databaseUrl } = loadConfig();
const db = await openDatabase(databaseUrl, { migrate: true });
await db.destroy();
console.log(`Migrations applied to ${databaseUrl.replace(/\/\/[^@]*@/, '//…@')}`);
