import type { KeyViewStatus } from './key-status';

// Errors a caller can act on. The GraphQL layer exposes each as a typed result;
// messages are written for the API's users and never carry secrets or SQL.

export abstract class DomainError extends Error {
  abstract readonly code: string;
}

export class NotFoundError extends DomainError {
  readonly code = 'NOT_FOUND';
  constructor(
    readonly resource: string,
    readonly id: string,
  ) {
    super(`${resource} not found`);
    this.name = 'NotFoundError';
  }
}

export class InvalidStateError extends DomainError {
  readonly code = 'INVALID_STATE';
  constructor(
    message: string,
    readonly currentStatus: KeyViewStatus,
  ) {
    super(message);
    this.name = 'InvalidStateError';
  }
}

export interface FieldIssue {
  path: string;
  message: string;
}

export class ValidationError extends DomainError {
  readonly code = 'VALIDATION';
  constructor(readonly issues: FieldIssue[]) {
    super(issues.map((issue) => (issue.path ? `${issue.path}: ${issue.message}` : issue.message)).join('; '));
    this.name = 'ValidationError';
  }
}

/**
 * Someone else changed the key between our read and our write, or since the
 * version the caller last saw; re-read and try again. The current version is
 * known when a caller's expectedVersion was checked against the stream.
 */
export class ConflictError extends DomainError {
  readonly code = 'CONFLICT';
  constructor(
    readonly streamId: string,
    readonly expectedVersion: number,
    readonly currentVersion: number | null = null,
  ) {
    super(
      currentVersion === null
        ? `The key was changed by another request (expected version ${expectedVersion}); reload it and try again`
        : `The key was changed by another request since version ${expectedVersion} (now version ${currentVersion}); reload it and try again.`,
    );
    this.name = 'ConflictError';
  }
}
