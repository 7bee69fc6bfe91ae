// Writes schema.graphql from the code-first schema: `npm run schema`.
import { writeFileSync } from 'node:fs';
import { printSchemaSdl } from '../graphql/schema';

writeFileSync(new URL('../../schema.graphql', import.meta.url), printSchemaSdl());
console.log('schema.graphql written');
