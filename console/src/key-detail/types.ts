import type { ApiError, ApiKeyStatus, AuditEventFields, Connection, KeyRow } from '../api/types';

// What this view's operations (api/operations/key-*.graphql) give back, following their selections.

export interface KeyLink {
  id: string;
  name: string;
  maskedKey: string;
  status: ApiKeyStatus;
}

type VerificationCode = 'VALID' | 'NOT_FOUND' | 'MALFORMED' | 'INACTIVE' | 'EXPIRED' | 'DELETED';

export interface KeyDetail extends Omit<KeyRow, 'rotatedTo'> {
  projectId: string;
  usageCount: number;
  lastRejectedAt: string | null;
  lastRejectedCode: VerificationCode | null;
  rotatedFrom: KeyLink | null;
  rotatedTo: KeyLink | null;
}

export interface KeyDetailData {
  apiKey: KeyDetail | null;
}

export interface KeyHistoryData {
  apiKey: { id: string; auditHistory: Connection<AuditEventFields> } | null;
}

export type Granularity = 'MINUTE' | 'HOUR' | 'DAY';

export interface UsagePoint {
  start: string;
  total: number;
  valid: number;
  rejected: number;
}

interface UsageSeries {
  __typename: 'UsageSeries';
  granularity: Granularity;
  from: string;
  to: string;
  points: UsagePoint[];
}

export interface KeyUsageData {
  apiKey: { id: string; usage: UsageSeries | ApiError } | null;
}

interface KeyAsOf {
  id: string;
  asOf: string | null;
  name: string;
  status: ApiKeyStatus;
  statusReason: string | null;
  statusChangedAt: string;
  expiresAt: string | null;
  version: number;
}

export interface KeyAsOfData {
  apiKey: KeyAsOf | null;
}
