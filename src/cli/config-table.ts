// Prints the README's configuration table from the one schema of environment
// variables (src/config/env-schema.ts): `npm run config-table`. Paste it between
// the config-table markers in README.md; a test fails while the two differ.
import { CONFIG_TABLE_END, CONFIG_TABLE_START, configTable } from '../config/config-table';

console.log(`${CONFIG_TABLE_START}\n${configTable()}\n${CONFIG_TABLE_END}`);
