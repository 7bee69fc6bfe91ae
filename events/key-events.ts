// The facts this service records, one per thing that happened to an API key.
// This file is the only place event types and payloads are defined; a change to a
// payload's shape bumps its schema version so old events stay readable.

/** The status the lifecycle events set. Expiry is not an event: it follows from expiresAt and the clock. */
export const KEY_STATUSES = ['ACTIVE', 'INACTIVE', 'DELETED'] as const;
export type KeyStatus = (typeof KEY_STATUSES)[number];

/**
 * A new key exists. Holds the SHA-256 of its secret, never the secret itself.
 * Version 2 added expiresAt and rotatedFrom (see upcast.ts for version 1).
 */
export interface KeyGenerated {
  type: 'KeyGenerated';
  data: {
    keyId: string;
    projectId: string;
    name: string;
    environment: string;
    secretHash: string;
    maskedKey: string;
    /** ISO time after which the key no longer verifies; null for never. */
    expiresAt: string | null;
    /** The key this one succeeds, when it was created by rolling that key. */
    rotatedFrom: string | null;
  };
}

export interface KeyDeactivated {
  type: 'KeyDeactivated';
  data: { keyId: string; projectId: string; reason: string | null };
}

export interface KeyReactivated {
  type: 'KeyReactivated';
  data: { keyId: string; projectId: string; reason: string | null };
}

/** Permanent: the key never verifies again and accepts no further command. */
export interface KeyDeleted {
  type: 'KeyDeleted';
  data: { keyId: string; projectId: string; reason: string | null; previousStatus: 'ACTIVE' | 'INACTIVE' };
}

/**
 * The key was rolled: a successor was generated (its KeyGenerated names this key
 * in rotatedFrom) and this key stops verifying at expiresAt, the end of the grace
 * period (or its own earlier expiry).
 */
export interface KeyRolled {
  type: 'KeyRolled';
  data: {
    keyId: string;
    projectId: string;
    successorId: string;
    gracePeriodSeconds: number;
    previousExpiresAt: string | null;
    expiresAt: string;
    reason: string | null;
  };
}

/** What a verification of an existing key answered. */
export const USAGE_OUTCOMES = ['VALID', 'INACTIVE', 'EXPIRED', 'DELETED'] as const;
export type UsageOutcome = (typeof USAGE_OUTCOMES)[number];

/**
 * Version 1 of KeyUsed: verifications that presented this key's secret during one
 * flush (one second), by one actor, as one event in the chained log. No longer
 * written: usage has a log of its own (events/usage-events.ts, KeyUsed version 2),
 * and migration 0005 folded these into it. Old logs keep them; projections skip them.
 */
export interface KeyUsed {
  type: 'KeyUsed';
  data: {
    keyId: string;
    projectId: string;
    count: number;
    firstAt: string;
    lastAt: string;
    outcomes: Partial<Record<UsageOutcome, number>>;
    lastValidAt: string | null;
    lastRejectedAt: string | null;
    lastRejectedCode: Exclude<UsageOutcome, 'VALID'> | null;
  };
}

export type KeyEvent = KeyGenerated | KeyDeactivated | KeyReactivated | KeyDeleted | KeyRolled | KeyUsed;

/** What happens to a key's lifecycle: what api_keys and the audit log are built from. */
export type LifecycleEvent = Exclude<KeyEvent, KeyUsed>;
export const LIFECYCLE_EVENT_TYPES: ReadonlySet<string> = new Set<LifecycleEvent['type']>(['KeyGenerated', 'KeyDeactivated', 'KeyReactivated', 'KeyDeleted', 'KeyRolled']);
export type KeyEventType = KeyEvent['type'];

/** Current schema version of each event's payload, stored beside it in the log. */
export const EVENT_SCHEMA_VERSIONS: Record<KeyEventType, number> = {
  KeyGenerated: 2,
  KeyDeactivated: 1,
  KeyReactivated: 1,
  KeyDeleted: 1,
  KeyRolled: 1,
  KeyUsed: 1,
};

export const KEY_EVENT_TYPES = Object.keys(EVENT_SCHEMA_VERSIONS) as KeyEventType[];

export function isKeyEventType(type: string): type is KeyEventType {
  return Object.hasOwn(EVENT_SCHEMA_VERSIONS, type);
}
