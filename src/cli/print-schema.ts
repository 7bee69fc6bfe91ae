// Writes schema.graphql from the code-first schema: `npm run schema`.
import { writeFileSync } from 'node:fs';
import { printSchemaSdl } from '../graphql/schema';

// Relative to this file: src/cli/ under tsx, dist/cli/ when built (scripts/build.mjs keeps that depth).
writeFileSync(new URL('../../schema.graphql', import.meta.url), printSchemaSdl());
console.log('schema.graphql written');
