import { ConflictError, type DomainError, type FieldIssue, InvalidStateError, NotFoundError, ValidationError } from '../../domain/errors';
import { builder } from '../builder';
import { ApiKeyStatusEnum } from './enums';

export const ErrorInterface = builder.interfaceRef<DomainError>('Error').implement({
  description: 'A problem the caller can act on; nothing was changed.',
  fields: (t) => ({
    message: t.exposeString('message'),
    code: t.exposeString('code'),
  }),
});

builder.objectType(NotFoundError, {
  name: 'NotFoundError',
  interfaces: [ErrorInterface],
  isTypeOf: (value) => value instanceof NotFoundError,
  fields: (t) => ({ resource: t.exposeString('resource') }),
});

builder.objectType(InvalidStateError, {
  name: 'InvalidStateError',
  description: 'The command is not allowed in the key’s current status.',
  interfaces: [ErrorInterface],
  isTypeOf: (value) => value instanceof InvalidStateError,
  fields: (t) => ({
    currentStatus: t.field({ type: ApiKeyStatusEnum, resolve: (error) => error.currentStatus }),
  }),
});

const FieldIssueRef = builder.objectRef<FieldIssue>('FieldIssue').implement({
  fields: (t) => ({
    path: t.exposeString('path', { description: 'Where the problem is, for example input.name.' }),
    message: t.exposeString('message'),
  }),
});

builder.objectType(ValidationError, {
  name: 'ValidationError',
  interfaces: [ErrorInterface],
  isTypeOf: (value) => value instanceof ValidationError,
  fields: (t) => ({ issues: t.field({ type: [FieldIssueRef], resolve: (error) => error.issues }) }),
});

builder.objectType(ConflictError, {
  name: 'ConflictError',
  description: 'Another request changed the key at the same moment, or since the expectedVersion given; reload it and retry.',
  interfaces: [ErrorInterface],
  isTypeOf: (value) => value instanceof ConflictError,
  fields: () => ({}),
});

/** The errors every key-changing mutation can answer with. */
export const KEY_CHANGE_ERRORS = [NotFoundError, InvalidStateError, ValidationError, ConflictError];
