import type { KeyEvent, KeyStatus } from '../../events/key-events';

/** What the command side needs to know about one key to decide. */
export type KeyState =
  | { exists: false }
  | {
      exists: true;
      keyId: string;
      projectId: string;
      name: string;
      environment: string;
      status: KeyStatus;
      expiresAt: string | null;
      /** Set once the key was rolled; a key is rolled at most once. */
      rotatedTo: string | null;
    };

export const initialKeyState: KeyState = { exists: false };

export function evolve(state: KeyState, event: KeyEvent): KeyState {
  switch (event.type) {
    case 'KeyGenerated': {
      const { keyId, projectId, name, environment, expiresAt } = event.data;
      return { exists: true, keyId, projectId, name, environment, status: 'ACTIVE', expiresAt, rotatedTo: null };
    }
    case 'KeyDeactivated':
      return withStatus(state, 'INACTIVE');
    case 'KeyReactivated':
      return withStatus(state, 'ACTIVE');
    case 'KeyDeleted':
      return withStatus(state, 'DELETED');
    case 'KeyRolled':
      return state.exists ? { ...state, rotatedTo: event.data.successorId, expiresAt: event.data.expiresAt } : state;
    case 'KeyUsed':
      return state;
  }
}

function withStatus(state: KeyState, status: KeyStatus): KeyState {
  return state.exists ? { ...state, status } : state;
}

export function foldKeyState(events: Iterable<KeyEvent>): KeyState {
  let state = initialKeyState;
  for (const event of events) state = evolve(state, event);
  return state;
}
