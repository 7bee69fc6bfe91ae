import type { UsageWindow } from '../../events/usage-events';
import type { UsageWindowsTable } from '../store/schema';

export const COUNT_COLUMNS = ['total', 'valid', 'inactive', 'expired', 'deleted'] as const;

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
      byInstance.set(row.instance, (sum = { window_start: row.window_start, project_id: row.project_id, instance: row.instance, total: 0, valid: 0, inactive: 0, expired: 0, deleted: 0 }));
      out.push(sum);
    }
    for (const count of COUNT_COLUMNS) (sum[count] as number) += row[count];
  }
  return out;
}
