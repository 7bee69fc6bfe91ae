// Checks the event log's hash chain from its first event, then the usage kept
// against the digests the books recorded in it: `npm run verify-log`.
// `-- --expect-head <position>:<hash>` (or `--expect-head-file FILE.head.json`, as
// npm run backup writes it) also requires that event, with that hash, in the log:
// how a restored copy shows it is the log that was backed up. The log may have
// grown past it (a check on a live database).
// Exits 0 when intact, 1 when broken (with the first broken position) or the
// expected head is not there, 2 on error.
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { loadDatabaseUrl, loadOrExit } from '../config/load-config';
import { type ExpectedHead, HeadFormatError, parseExpectedHead, readHeadFile } from '../store/backup-head';
import { type Db, isPostgresUrl, openDatabase, sqliteFileFromUrl } from '../store/database';
import { checkLogIntegrity } from '../store/log-integrity';
import { checkUsageBooks } from '../usage/check-usage-books';

let expected: ExpectedHead | null = null;
try {
  const { values } = parseArgs({ options: { 'expect-head': { type: 'string' }, 'expect-head-file': { type: 'string' } } });
  if (values['expect-head'] !== undefined && values['expect-head-file'] !== undefined) throw new HeadFormatError('give --expect-head or --expect-head-file, not both');
  if (values['expect-head'] !== undefined) expected = parseExpectedHead(values['expect-head']);
  if (values['expect-head-file'] !== undefined) expected = readHeadFile(values['expect-head-file']);
} catch (error) {
  console.error(`Could not check the log: ${(error as Error).message}`);
  process.exit(2);
}

// Only DATABASE_URL: checking the log needs no authentication settings, whatever NODE_ENV says.
const databaseUrl = loadOrExit('Could not check the log', loadDatabaseUrl);
// Opening a SQLite path that is not there would create an empty database and report on that.
if (!isPostgresUrl(databaseUrl) && sqliteFileFromUrl(databaseUrl) !== ':memory:' && !existsSync(sqliteFileFromUrl(databaseUrl))) {
  console.error(`Could not check the log: no database at ${sqliteFileFromUrl(databaseUrl)}`);
  process.exit(2);
}
// SQLite files are opened read-only: checking a backup must not change it (a switch to WAL
// would rewrite its header and leave -wal and -shm beside it), and works on a read-only copy.
const readOnly = !isPostgresUrl(databaseUrl) && sqliteFileFromUrl(databaseUrl) !== ':memory:';
let db: Db | undefined;
try {
  db = await openDatabase(databaseUrl, { migrate: false, readOnly });
  const started = performance.now();
  const report = await checkLogIntegrity(db);
  const seconds = ((performance.now() - started) / 1000).toFixed(2);
  if (report.ok) {
    console.log(`Log intact: ${report.checkedEvents} events checked in ${seconds} s.`);
    if (report.headPosition !== null) console.log(`Head: position ${report.headPosition}, hash ${report.headHash}`);
  } else {
    console.log(`Log BROKEN at position ${report.firstBrokenPosition}: ${report.problem}.`);
    console.log(`${report.checkedEvents} events checked in ${seconds} s; intact up to position ${report.headPosition ?? 'none'} (hash ${report.headHash ?? '-'}).`);
    process.exitCode = 1;
  }
  if (expected && expected.position !== null) {
    // Read after the walk: on a live database later appends do not change this row, and
    // the walk vouched for it if the head reached it.
    const row = await db.selectFrom('events').select('chain_hash').where('position', '=', expected.position).executeTakeFirst();
    if (row?.chain_hash === expected.hash && report.ok) {
      console.log(
        `Expected head found: position ${expected.position}, hash ${expected.hash}${report.headPosition !== null && report.headPosition > expected.position ? ` (the log goes on to position ${report.headPosition})` : ''}.`,
      );
    } else if (row?.chain_hash === expected.hash) {
      console.log(`Expected head NOT vouched for: position ${expected.position} holds hash ${expected.hash}, but the chain does not verify.`);
      process.exitCode = 1;
    } else {
      const found = row ? `holds hash ${row.chain_hash}` : 'holds no event: the log was cut or is another log';
      console.log(`Expected head NOT found: position ${expected.position} ${found}, not ${expected.hash}.`);
      process.exitCode = 1;
    }
  } else if (expected) {
    console.log('Expected head: the backup held no events; any intact log matches.');
  }
  const usageStarted = performance.now();
  const usage = await checkUsageBooks(db);
  const usageSeconds = ((performance.now() - usageStarted) / 1000).toFixed(2);
  if (usage.ok) {
    console.log(
      `Usage books intact: ${usage.closings} closed hours, ${usage.checkedRows} kept usage rows checked in ${usageSeconds} s; ${usage.openWindows} windows since the last closing are covered once their hour closes.`,
    );
  } else {
    for (const problem of usage.problems) console.log(`Usage BROKEN: ${problem}.`);
    process.exitCode = 1;
  }
} catch (error) {
  const message = (error as Error).message;
  // A database from before the chain: say what to do rather than report every event broken.
  const hint = /chain_hash/.test(message) ? 'the database predates the hash chain; run npm run migrate first' : message;
  console.error(`Could not check the log: ${hint}`);
  process.exitCode = 2;
} finally {
  await db?.destroy();
}
