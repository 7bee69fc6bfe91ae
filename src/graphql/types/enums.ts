import { KEY_VIEW_STATUSES } from '../../domain/key-status';
import { builder } from '../builder';
import { USAGE_NOT_IN_AUDIT_LOG } from '../usage-deprecation';

export const ApiKeyStatusEnum = builder.enumType('ApiKeyStatus', {
  description: 'ACTIVE, INACTIVE and DELETED are set by mutations; EXPIRED follows from expiresAt and the clock.',
  values: KEY_VIEW_STATUSES,
});

/** Audit event types are the log's own names of the key lifecycle events (LIFECYCLE_EVENT_TYPES). */
export const AuditEventTypeEnum = builder.enumType('AuditEventType', {
  values: {
    KeyGenerated: {},
    KeyDeactivated: {},
    KeyReactivated: {},
    KeyDeleted: {},
    KeyRolled: {},
    KeyUsed: { description: 'Never in the audit log: filtering on it finds nothing.', deprecationReason: USAGE_NOT_IN_AUDIT_LOG },
  } as const,
});

export const VerificationCodeEnum = builder.enumType('VerificationCode', {
  values: {
    VALID: { description: 'The key exists and is active.' },
    NOT_FOUND: { description: 'Well-formed, but no such key.' },
    MALFORMED: { description: 'Not an API key of this service (wrong shape or checksum).' },
    INACTIVE: { description: 'The key is deactivated.' },
    EXPIRED: { description: 'The key’s expiry (or, after a roll, its grace period) has passed.' },
    DELETED: { description: 'The key was deleted.' },
  } as const,
});
