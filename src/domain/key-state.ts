import type { KeyEvent, KeyStatus } from '../../events/key-events';

/** What the command side needs to know about one key to decide. */
export type KeyState =
  | { exists: false }
  | { exists: true; keyId: string; projectId: string; status: KeyStatus };

export const initialKeyState: KeyState = { exists: false };

export function evolve(state: KeyState, event: KeyEvent): KeyState {
  switch (event.type) {
    case 'KeyGenerated':
      return { exists: true, keyId: event.data.keyId, projectId: event.data.projectId, status: 'ACTIVE' };
    case 'KeyDeactivated':
      return withStatus(state, 'INACTIVE');
    case 'KeyReactivated':
      return withStatus(state, 'ACTIVE');
    case 'KeyDeleted':
      return withStatus(state, 'DELETED');
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
