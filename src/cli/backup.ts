// Copies the live SQLite database to FILE and records the log's head beside it
// (FILE.head.json): `npm run backup -- FILE [--force]`. Safe while servers run.
// PostgreSQL is backed up with pg_dump (README, "Backup and restore").
// Exits 0 with one line when done, 1 with one line when not.
import { parseArgs } from 'node:util';
import { loadDatabaseUrl } from '../config/load-config';
import { maskUrl } from '../config/mask-url';
import { backupSqlite } from '../store/backup';
import { isPostgresUrl, sqliteFileFromUrl } from '../store/database';

const USAGE = 'usage: npm run backup -- FILE [--force]';

try {
  const { values, positionals } = parseArgs({ options: { force: { type: 'boolean', default: false } }, allowPositionals: true });
  if (positionals.length !== 1) throw new Error(USAGE);
  // Only DATABASE_URL: a backup needs no authentication settings, whatever NODE_ENV says.
  const databaseUrl = loadDatabaseUrl();
  const databaseName = maskUrl(databaseUrl);
  if (isPostgresUrl(databaseUrl)) {
    throw new Error(`${databaseName} is PostgreSQL: back it up with pg_dump as the README describes ("Backup and restore"), after recording the head with npm run verify-log`);
  }
  const result = await backupSqlite(sqliteFileFromUrl(databaseUrl), positionals[0]!, { force: values.force, databaseName });
  console.log(
    `Backup written: ${result.file} (${result.bytes} bytes, ${result.events} events, head position ${result.headPosition ?? 'none'}, hash ${result.headHash ?? '-'}) in ${result.seconds.toFixed(2)} s from ${databaseName}; head recorded in ${result.headFile}`,
  );
} catch (error) {
  // parseArgs names the bad option; everything else is already one line meant for the operator.
  console.error(`Backup failed: ${(error as Error).message}`);
  process.exitCode = 1;
}
