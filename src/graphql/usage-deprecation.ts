// Usage used to be written into the audit log (KeyUsed events, AuditEvent.usage,
// the includeUsage switches). It has a log of its own now, with its own analytics
// fields; the old names stay in the schema, deprecated and without effect, so
// clients that still send them keep working.

export const USAGE_NOT_IN_AUDIT_LOG = 'Usage is no longer in the audit log; read ApiKey.usage or Project.usage.';
