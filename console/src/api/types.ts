// What the operations in operations/ give back, written by hand. The build checks each
// operation against schema.graphql (scripts/console-operations.mjs); these types follow
// the operations' selections and must be kept with them.

export type ApiKeyStatus = 'ACTIVE' | 'INACTIVE' | 'EXPIRED' | 'DELETED';

export interface KeyRow {
  id: string;
  name: string;
  maskedKey: string;
  environment: string;
  status: ApiKeyStatus;
  createdAt: string;
  createdBy: string;
  lastUsedAt: string | null;
  expiresAt: string | null;
  statusChangedAt: string;
  statusChangedBy: string;
  statusReason: string | null;
  version: number;
  rotatedTo: { id: string } | null;
}

export interface PageInfo {
  hasNextPage: boolean;
  endCursor: string | null;
}

export interface Connection<T> {
  edges: { cursor?: string; node: T }[];
  pageInfo: PageInfo;
}

export type AuditEventType = 'KeyGenerated' | 'KeyDeactivated' | 'KeyReactivated' | 'KeyRolled' | 'KeyDeleted';

export interface AuditEventFields {
  id: string;
  type: AuditEventType;
  occurredAt: string;
  actor: string;
  keyId: string;
  reason: string | null;
  requestId: string;
  clientAddress: string | null;
  userAgent: string | null;
  rotatedFromKeyId: string | null;
  rotatedToKeyId: string | null;
  changes: { field: string; from: string | null; to: string | null }[];
  key: { id: string; name: string } | null;
}

/** A typed error of a mutation's result (ErrorFields). */
export interface ApiError {
  __typename: 'ValidationError' | 'ConflictError' | 'InvalidStateError' | 'NotFoundError';
  code: string;
  message: string;
  issues?: { path: string; message: string }[];
  currentStatus?: ApiKeyStatus;
}

export interface Viewer {
  subject: string;
  tokenExpiresAt: string | null;
  allProjects: boolean;
  operator: boolean;
  projects: { projectId: string; permissions: string[]; project: { id: string } | null }[];
}

export interface KeysData {
  project: { id: string; apiKeys: Connection<KeyRow>; idleKeys: Connection<{ id: string }> };
}

export interface KeyPayload {
  keyId: string;
  apiKey: KeyRow | null;
}

export interface SecretPayload extends KeyPayload {
  secret: string;
}

export interface RollPayload extends SecretPayload {
  previousKey: KeyRow | null;
}

const ERROR_TYPES = new Set<string>(['ValidationError', 'ConflictError', 'InvalidStateError', 'NotFoundError']);

/** Whether a mutation's (or usage query's) union answer is one of the typed errors. */
export function isApiError(result: { __typename: string }): result is ApiError {
  return ERROR_TYPES.has(result.__typename);
}
