import { describe, expect, it } from 'vitest';
import type { KeyEvent } from '../../events/key-events';
import { decide } from '../../src/domain/decide';
import { InvalidStateError, NotFoundError } from '../../src/domain/errors';
import type { KeyCommand } from '../../src/domain/key-commands';
import { foldKeyState } from '../../src/domain/key-state';

// Given these past events, when this command arrives, then these events (or this error).
const keyId = 'key-1';
const projectId = 'proj_1';
const generated: KeyEvent = {
  type: 'KeyGenerated',
  data: { keyId, projectId, name: 'CI', environment: 'live', secretHash: 'h', maskedKey: 'ak_live_abcd…wxyz' },
};
const deactivated: KeyEvent = { type: 'KeyDeactivated', data: { keyId, projectId, reason: null } };
const reactivated: KeyEvent = { type: 'KeyReactivated', data: { keyId, projectId, reason: null } };
const deleted: KeyEvent = { type: 'KeyDeleted', data: { keyId, projectId, reason: null, previousStatus: 'ACTIVE' } };

const given = (...events: KeyEvent[]) => ({
  when: (command: KeyCommand) => () => decide(command, foldKeyState(events)),
});

const deactivate: KeyCommand = { type: 'DeactivateKey', keyId, reason: 'rotating' };
const reactivate: KeyCommand = { type: 'ReactivateKey', keyId, reason: null };
const remove: KeyCommand = { type: 'DeleteKey', keyId, reason: 'leaked' };
const generate: KeyCommand = {
  type: 'GenerateKey',
  keyId,
  projectId,
  name: 'CI',
  environment: 'live',
  secretHash: 'h',
  maskedKey: 'ak_live_abcd…wxyz',
};

describe('decide', () => {
  it('generates a key that does not exist yet', () => {
    expect(given().when(generate)()).toEqual([generated]);
  });

  it('refuses to generate over an existing key', () => {
    expect(given(generated).when(generate)).toThrow(InvalidStateError);
  });

  it('deactivates an active key, with the reason', () => {
    expect(given(generated).when(deactivate)()).toEqual([
      { type: 'KeyDeactivated', data: { keyId, projectId, reason: 'rotating' } },
    ]);
  });

  it('refuses to deactivate an inactive key again', () => {
    expect(given(generated, deactivated).when(deactivate)).toThrow(/Only an active key can be deactivated/);
  });

  it('reactivates only an inactive key', () => {
    expect(given(generated, deactivated).when(reactivate)()).toEqual([reactivated]);
    expect(given(generated).when(reactivate)).toThrow(InvalidStateError);
    expect(given(generated, deactivated, reactivated).when(reactivate)).toThrow(InvalidStateError);
  });

  it('deletes an active or an inactive key and remembers which it was', () => {
    expect(given(generated).when(remove)()).toEqual([
      { type: 'KeyDeleted', data: { keyId, projectId, reason: 'leaked', previousStatus: 'ACTIVE' } },
    ]);
    expect(given(generated, deactivated).when(remove)()).toEqual([
      { type: 'KeyDeleted', data: { keyId, projectId, reason: 'leaked', previousStatus: 'INACTIVE' } },
    ]);
  });

  it('accepts no command at all once a key is deleted', () => {
    for (const command of [deactivate, reactivate, remove]) {
      expect(given(generated, deleted).when(command)).toThrow(InvalidStateError);
    }
  });

  it('answers NotFound for every command on a key that does not exist', () => {
    for (const command of [deactivate, reactivate, remove]) {
      expect(given().when(command)).toThrow(NotFoundError);
    }
  });

  it('is not moved by usage events when folding state', () => {
    const used: KeyEvent = {
      type: 'KeyUsed',
      data: { keyId, projectId, count: 3, firstAt: 'a', lastAt: 'b', outcomes: { VALID: 3 }, lastValidAt: 'b', lastRejectedAt: null, lastRejectedCode: null },
    };
    expect(foldKeyState([generated, used, deactivated, used])).toEqual(foldKeyState([generated, deactivated]));
  });
});
