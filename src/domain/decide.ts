import type { KeyEvent, KeyStatus } from '../../events/key-events';
import type { KeyCommand } from './key-commands';
import type { KeyState } from './key-state';
import { InvalidStateError, NotFoundError } from './errors';

type ExistingKey = Extract<KeyState, { exists: true }>;

/**
 * The key's rules: which command is allowed in which state, and what it records.
 * Usage is not a command: it is observed by verification and recorded in batches
 * (see usage-tally.ts), only ever for keys a verification found.
 */
export function decide(command: KeyCommand, state: KeyState): KeyEvent[] {
  if (command.type === 'GenerateKey') {
    if (state.exists) throw new InvalidStateError(`Key ${command.keyId} already exists`, state.status);
    const { keyId, projectId, name, environment, secretHash, maskedKey } = command;
    return [{ type: 'KeyGenerated', data: { keyId, projectId, name, environment, secretHash, maskedKey } }];
  }

  const key = existingKey(state, command.keyId);
  if (key.status === 'DELETED') {
    throw new InvalidStateError('The key is deleted; a deleted key accepts no further change', key.status);
  }
  const { keyId, projectId } = key;

  switch (command.type) {
    case 'DeactivateKey':
      requireStatus(key, 'ACTIVE', 'Only an active key can be deactivated');
      return [{ type: 'KeyDeactivated', data: { keyId, projectId, reason: command.reason } }];
    case 'ReactivateKey':
      requireStatus(key, 'INACTIVE', 'Only an inactive key can be reactivated');
      return [{ type: 'KeyReactivated', data: { keyId, projectId, reason: command.reason } }];
    case 'DeleteKey':
      return [{ type: 'KeyDeleted', data: { keyId, projectId, reason: command.reason, previousStatus: key.status } }];
  }
}

function existingKey(state: KeyState, keyId: string): ExistingKey {
  if (!state.exists) throw new NotFoundError('ApiKey', keyId);
  return state;
}

function requireStatus(key: ExistingKey, status: KeyStatus, message: string): void {
  if (key.status !== status) throw new InvalidStateError(`${message}; this key is ${key.status}`, key.status);
}
