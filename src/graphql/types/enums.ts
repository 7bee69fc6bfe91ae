import { KEY_EVENT_TYPES, KEY_STATUSES } from '../../../events/key-events';
import { builder } from '../builder';

export const ApiKeyStatusEnum = builder.enumType('ApiKeyStatus', { values: KEY_STATUSES });

/** Audit event types are the log's own event names. */
export const AuditEventTypeEnum = builder.enumType('AuditEventType', { values: KEY_EVENT_TYPES });

export const VerificationCodeEnum = builder.enumType('VerificationCode', {
  values: {
    VALID: { description: 'The key exists and is active.' },
    NOT_FOUND: { description: 'Well-formed, but no such key.' },
    MALFORMED: { description: 'Not an API key of this service (wrong shape or checksum).' },
    INACTIVE: { description: 'The key is deactivated.' },
    DELETED: { description: 'The key was deleted.' },
  } as const,
});
