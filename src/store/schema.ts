import type { Generated } from 'kysely';
import type { KeyEventType, KeyStatus } from '../../events/key-events';
import type { RejectionCode } from '../../events/usage-events';

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
  /** The lifecycle status the events set; EXPIRED is never stored (it follows from expires_at and the clock). */
  status: KeyStatus;
  created_at: string;
  created_by: string;
  created_position: number;
  last_used_at: string | null;
  last_rejected_at: string | null;
  last_rejected_code: RejectionCode | null;
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
  /** A lifecycle event's type; KeyUsed only in rows of version 1 usage, which migration 0005 deleted. */
  type: KeyEventType;
  actor: string;
  request_id: string;
  client_address: string | null;
  user_agent: string | null;
  occurred_at: string;
  /** 'usage' only in rows migration 0005 deleted (usage has a log of its own since). */
  category: 'lifecycle' | 'usage';
  reason: string | null;
  /** For KeyUsed: the window's counts and times, as JSON. */
  usage: string | null;
  changes: string;
  /** KeyGenerated of a successor: the key it replaces. */
  rotated_from: string | null;
  /** KeyRolled: the successor. */
  rotated_to: string | null;
}

/** Verification counts by outcome, in every usage record and summary. */
export interface UsageCountColumns {
  total: number;
  valid: number;
  inactive: number;
  expired: number;
  deleted: number;
}

/** Per key: the latest accepted and rejected verification (epoch ms) within the row's period. */
export interface UsageLastColumns {
  last_valid_at: number | null;
  last_rejected_at: number | null;
  last_rejected_code: RejectionCode | null;
}

/** The usage log: one KeyUsed record per window, key, principal and instance (events/usage-events.ts). Times in epoch ms. */
export interface UsageWindowsTable extends UsageCountColumns, UsageLastColumns {
  window_start: number;
  key_id: string;
  principal: string;
  instance: string;
  project_id: string;
}

/** A project's verifications per window and instance, written with the key records they sum. */
export interface UsageProjectWindowsTable extends UsageCountColumns {
  window_start: number;
  project_id: string;
  instance: string;
}

/** Closed hours, per key: the fold of the hour's windows, written when the hour is closed. */
export interface UsageKeyHoursTable extends UsageCountColumns, UsageLastColumns {
  hour_start: number;
  key_id: string;
  project_id: string;
}

export interface UsageProjectHoursTable extends UsageCountColumns {
  hour_start: number;
  project_id: string;
}

/** Days, per key: the sum of the day's closed hours (complete once the day's last hour is closed). */
export interface UsageKeyDaysTable extends UsageCountColumns, UsageLastColumns {
  day_start: number;
  key_id: string;
  project_id: string;
}

export interface UsageProjectDaysTable extends UsageCountColumns {
  day_start: number;
  project_id: string;
}

/**
 * One row: usage windows before `sealed_through` (epoch ms) are closed or being
 * closed, and flushes move later uses of them into the first open window.
 */
export interface UsageSealTable {
  id: number;
  sealed_through: number;
}

export interface Database {
  events: EventsTable;
  api_keys: ApiKeysTable;
  audit_events: AuditEventsTable;
  usage_windows: UsageWindowsTable;
  usage_project_windows: UsageProjectWindowsTable;
  usage_key_hours: UsageKeyHoursTable;
  usage_project_hours: UsageProjectHoursTable;
  usage_key_days: UsageKeyDaysTable;
  usage_project_days: UsageProjectDaysTable;
  usage_seal: UsageSealTable;
}
