import type { LogEventType } from './log-events';

// Old events stay in the log as they were written; readers see them in the
// current shape. Each step lifts a payload one schema version.

type Upcaster = (data: Record<string, unknown>) => Record<string, unknown>;

const UPCASTERS: Partial<Record<LogEventType, Record<number, Upcaster>>> = {
  KeyGenerated: {
    // Version 1 knew neither expiry nor rotation.
    1: (data) => ({ ...data, expiresAt: null, rotatedFrom: null }),
  },
};

/** The payload of an event written at `schemaVersion`, in the shape of `currentVersion`. */
export function upcastEventData(type: LogEventType, schemaVersion: number, currentVersion: number, data: Record<string, unknown>) {
  let upcast = data;
  for (let version = schemaVersion; version < currentVersion; version++) {
    const step = UPCASTERS[type]?.[version];
    if (!step) throw new Error(`No upcaster for ${type} version ${version}`);
    upcast = step(upcast);
  }
  return upcast;
}
