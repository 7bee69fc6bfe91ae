// Checks the event log's hash chain from its first event, then the usage kept
// against the digests the books recorded in it: `npm run verify-log`.
// Exits 0 when intact, 1 when broken (with the first broken position), 2 on error.
import { loadConfig } from '../server/config';
import { openDatabase } from '../store/database';
import { checkLogIntegrity } from '../store/log-integrity';
import { checkUsageBooks } from '../usage/check-usage-books';

const { databaseUrl } = loadConfig();
const db = await openDatabase(databaseUrl, { migrate: false });
try {
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
  const usageStarted = performance.now();
  const usage = await checkUsageBooks(db);
  const usageSeconds = ((performance.now() - usageStarted) / 1000).toFixed(2);
  if (usage.ok) {
    console.log(`Usage books intact: ${usage.closings} closed hours, ${usage.checkedRows} kept usage rows checked in ${usageSeconds} s; ${usage.openWindows} windows since the last closing are covered once their hour closes.`);
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
  await db.destroy();
}
