import type { Generated } from 'kysely';

// Table shapes as Kysely sees them. Times are ISO-8601 UTC strings and JSON is
// text, so the same queries read alike on SQLite and PostgreSQL.

export interface EventsTable {
  position: Generated<number>;
  stream_id: string;
  stream_version: number;
  type: string;
  schema_version: number;
  data: string;
  metadata: string;
  recorded_at: string;
  /** SHA-256 over this row's content and the previous row's chain_hash (see event-chain.ts). */
  chain_hash: string;
}

export interface ApiKeysTable {
  id: string;
  project_id: string;
  name: string;
  environment: string;
  key_hash: string;
  masked_key: string;
  status: string;
  created_at: string;
  created_by: string;
  created_position: number;
  last_used_at: string | null;
  last_rejected_at: string | null;
  last_rejected_code: string | null;
  usage_count: number;
  deactivated_at: string | null;
  deleted_at: string | null;
  status_changed_at: string;
  status_changed_by: string;
  status_reason: string | null;
  version: number;
  /** Null for never; for a rolled key, the end of its grace period. */
  expires_at: string | null;
  rotated_from: string | null;
  rotated_to: string | null;
}

export interface AuditEventsTable {
  position: number;
  key_id: string;
  project_id: string;
  type: string;
  actor: string;
  request_id: string;
  client_address: string | null;
  user_agent: string | null;
  occurred_at: string;
  /** 'lifecycle' or 'usage': histories show lifecycle unless usage is asked for. */
  category: string;
  reason: string | null;
  /** For KeyUsed: the window's counts and times, as JSON. */
  usage: string | null;
  changes: string;
  /** KeyGenerated of a successor: the key it replaces. */
  rotated_from: string | null;
  /** KeyRolled: the successor. */
  rotated_to: string | null;
}

export interface Database {
  events: EventsTable;
  api_keys: ApiKeysTable;
  audit_events: AuditEventsTable;
}
