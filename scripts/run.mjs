// Runs a built entry point in this very process: `node scripts/run.mjs main` (the server, `npm start`)
// or `node scripts/run.mjs cli/token --sub alice` (a CLI). Builds dist/ first when it is missing or
// was built from other sources than those here now. One node process, no tsx: a signal sent to it reaches the server itself,
// and a CLI starts in a fraction of a second.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { builtEntries, ensureBuilt, ROOT } from './build.mjs';

const [name, ...args] = process.argv.slice(2);
try {
  await ensureBuilt();
} catch (error) {
  console.error(error.errors ? 'Could not build dist/ (errors above).' : `Could not build dist/: ${error.message}`);
  process.exit(1);
}
const file = join(ROOT, 'dist', `${name}.js`);
if (!name || !existsSync(file)) {
  console.error(`Usage: node scripts/run.mjs <entry> [args…], entry one of: ${builtEntries().join(', ')}`);
  process.exit(2);
}
// Stack traces name the TypeScript sources, as under tsx.
process.setSourceMapsEnabled(true);
// The entry reads its arguments as if started directly (`node dist/cli/token.js --sub alice`).
process.argv = [process.argv[0], file, ...args];
await import(pathToFileURL(file).href);
