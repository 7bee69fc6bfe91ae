import type { UsageCounts, UsageWindow } from '../../events/usage-events';
import type { UsageCountColumns, UsageLastColumns, UsageWindowsTable } from '../store/schema';

export const COUNT_COLUMNS = ['total', 'valid', 'inactive', 'expired', 'deleted'] as const;

export function zeroCounts(): UsageCounts {
  return { total: 0, valid: 0, inactive: 0, expired: 0, deleted: 0 };
}

/** Adds a row's counts into a sum (PostgreSQL may hand bigints over as strings in aggregates: Number()). */
export function addCounts(into: UsageCounts, row: object): void {
  for (const count of COUNT_COLUMNS) into[count] += Number((row as Record<string, unknown>)[count] ?? 0);
}

/** Adds one row's counts and keeps the later of each last use: how windows fold into a key's sums. */
export function addRow(into: UsageCountColumns & UsageLastColumns, row: UsageCountColumns & UsageLastColumns): void {
  addCounts(into, row);
  const lastValid = row.last_valid_at === null ? null : Number(row.last_valid_at);
  if (lastValid !== null && (into.last_valid_at === null || lastValid > into.last_valid_at)) into.last_valid_at = lastValid;
  const lastRejected = row.last_rejected_at === null ? null : Number(row.last_rejected_at);
  if (lastRejected !== null && (into.last_rejected_at === null || lastRejected > into.last_rejected_at)) {
    into.last_rejected_at = lastRejected;
    into.last_rejected_code = row.last_rejected_code;
  }
}

/** A usage record as its usage_windows row. */
export function windowRow(window: UsageWindow): UsageWindowsTable {
  return {
    window_start: window.windowStart,
    key_id: window.keyId,
    principal: window.principal,
    instance: window.instance,
    project_id: window.projectId,
    total: window.total,
    valid: window.valid,
    inactive: window.inactive,
    expired: window.expired,
    deleted: window.deleted,
    last_valid_at: window.lastValidAt,
    last_rejected_at: window.lastRejectedAt,
    last_rejected_code: window.lastRejectedCode,
  };
}

/** The project rows that key window rows add up to: per window, project and instance. */
export function projectWindowRows(rows: readonly UsageWindowsTable[]): Record<string, number | string>[] {
  const sums = new Map<number, Map<string, Map<string, Record<string, number | string>>>>();
  const out: Record<string, number | string>[] = [];
  for (const row of rows) {
    let byProject = sums.get(row.window_start);
    if (!byProject) sums.set(row.window_start, (byProject = new Map()));
    let byInstance = byProject.get(row.project_id);
    if (!byInstance) byProject.set(row.project_id, (byInstance = new Map()));
    let sum = byInstance.get(row.instance);
    if (!sum) {
      byInstance.set(
        row.instance,
        (sum = { window_start: row.window_start, project_id: row.project_id, instance: row.instance, total: 0, valid: 0, inactive: 0, expired: 0, deleted: 0 }),
      );
      out.push(sum);
    }
    addCounts(sum as unknown as UsageCounts, row);
  }
  return out;
}
