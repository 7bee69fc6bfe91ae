// Applies the schema migrations to DATABASE_URL: `npm run migrate`.
// The server applies them on start too, unless MIGRATE_ON_START=false.
import { loadDatabaseUrl, loadOrExit } from '../config/load-config';
import { maskUrl } from '../config/mask-url';
import { StartFailure } from '../config/start-failure';
import { openDatabase } from '../store/database';

const databaseUrl = loadOrExit('Not migrating', loadDatabaseUrl);
try {
  const db = await openDatabase(databaseUrl, { migrate: true });
  await db.destroy();
} catch (error) {
  if (!(error instanceof StartFailure)) throw error;
  console.error(`Not migrating: ${error.message}`);
  process.exit(1);
}
console.log(`Migrations applied to ${maskUrl(databaseUrl)}`);
