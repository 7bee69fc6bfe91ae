import type { KeyEvent } from '../../events/key-events';
import { InvalidStateError, NotFoundError } from './errors';
import type { KeyCommand, RollKey } from './key-commands';
import type { KeyState } from './key-state';
import { type KeyViewStatus, statusAt } from './key-status';

type ExistingKey = Extract<KeyState, { exists: true }>;

/**
 * The key's rules: which command is allowed in which state, and what it records.
 * Usage is not a command: it is observed by verification and recorded in batches
 * into a log of its own (src/usage/), only ever for keys a verification found.
 */
export function decide(command: KeyCommand, state: KeyState): KeyEvent[] {
  if (command.type === 'GenerateKey') {
    if (state.exists) throw new InvalidStateError(`Key ${command.keyId} already exists`, state.status);
    const { keyId, projectId, name, environment, secretHash, maskedKey, expiresAt } = command;
    return [{ type: 'KeyGenerated', data: { keyId, projectId, name, environment, secretHash, maskedKey, expiresAt, rotatedFrom: null } }];
  }

  const key = existingKey(state, command.keyId);
  const status = statusAt(key.status, key.expiresAt, command.at);
  if (key.status === 'DELETED') {
    throw new InvalidStateError('The key is deleted; a deleted key accepts no further change', status);
  }
  const { keyId, projectId } = key;

  switch (command.type) {
    case 'DeactivateKey':
      requireStatus(status, 'ACTIVE', 'Only an active key can be deactivated');
      return [{ type: 'KeyDeactivated', data: { keyId, projectId, reason: command.reason } }];
    case 'ReactivateKey':
      requireStatus(status, 'INACTIVE', 'Only an inactive key can be reactivated');
      return [{ type: 'KeyReactivated', data: { keyId, projectId, reason: command.reason } }];
    case 'DeleteKey':
      return [{ type: 'KeyDeleted', data: { keyId, projectId, reason: command.reason, previousStatus: key.status } }];
    case 'RollKey':
      return roll(command, key, status);
  }
}

/**
 * Two events on two streams, appended in one transaction: the old key learns its
 * successor and when it stops, the successor is born knowing what it replaces.
 */
function roll(command: RollKey, key: ExistingKey, status: KeyViewStatus): KeyEvent[] {
  if (key.rotatedTo !== null) {
    throw new InvalidStateError('The key was already rolled; roll its successor instead', status);
  }
  // A successor is born active: rolling a deactivated or expired key would bring its
  // access back without a reactivation in the audit log. Generate a new key instead.
  requireStatus(status, 'ACTIVE', 'Only an active key can be rolled');
  const graceEnd = command.at + command.gracePeriodSeconds * 1000;
  // Rolling never extends a key's life: an earlier expiry of its own still holds.
  const expiresAt = key.expiresAt !== null && Date.parse(key.expiresAt) < graceEnd ? key.expiresAt : new Date(graceEnd).toISOString();
  const { keyId, projectId, name, environment } = key;
  return [
    {
      type: 'KeyRolled',
      data: {
        keyId,
        projectId,
        successorId: command.successorId,
        gracePeriodSeconds: command.gracePeriodSeconds,
        previousExpiresAt: key.expiresAt,
        expiresAt,
        reason: command.reason,
      },
    },
    {
      type: 'KeyGenerated',
      data: {
        keyId: command.successorId,
        projectId,
        name,
        environment,
        secretHash: command.secretHash,
        maskedKey: command.maskedKey,
        expiresAt: command.successorExpiresAt,
        rotatedFrom: keyId,
      },
    },
  ];
}

function existingKey(state: KeyState, keyId: string): ExistingKey {
  if (!state.exists) throw new NotFoundError('ApiKey', keyId);
  return state;
}

function requireStatus(status: KeyViewStatus, required: KeyViewStatus, message: string): void {
  if (status !== required) throw new InvalidStateError(`${message}; this key is ${status}`, status);
}
