import { sql, type Kysely, type RawBuilder } from 'kysely';
import { isPostgres } from '../store/database';

// Reading one field of a JSON text column inside SQL, the one place the two
// databases spell it differently.

export function jsonText(db: Kysely<any>, column: string, field: string): RawBuilder<string | null> {
  return isPostgres(db) ? sql`(${sql.ref(column)}::json ->> ${field})` : sql`json_extract(${sql.ref(column)}, ${`$.${field}`})`;
}

export function jsonInteger(db: Kysely<any>, column: string, field: string): RawBuilder<number> {
  return isPostgres(db) ? sql`(${sql.ref(column)}::json ->> ${field})::bigint` : sql`json_extract(${sql.ref(column)}, ${`$.${field}`})`;
}
