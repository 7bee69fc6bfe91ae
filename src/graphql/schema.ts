import { lexicographicSortSchema, printSchema } from 'graphql';
import { builder } from './builder';
import './types/errors';
import './types/api-key';
import './types/audit-event';
import './types/project';
import './types/audit-integrity';
import './types/usage';
import './types/viewer';
import './queries';
import './subscriptions';
import './mutations/generate-api-key';
import './mutations/change-api-key';
import './mutations/verify-api-key';
import './mutations/roll-api-key';

export const schema = builder.toSchema();

/** The SDL committed as schema.graphql; a test fails when the file is stale. */
export function printSchemaSdl(): string {
  return `${printSchema(lexicographicSortSchema(schema))}\n`;
}
