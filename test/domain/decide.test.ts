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
  data: { keyId, projectId, name: 'CI', environment: 'live', secretHash: 'h', maskedKey: 'ak_live_abcd…wxyz', expiresAt: null, rotatedFrom: null },
};
const NOW = Date.parse('2026-06-01T12:00:00.000Z');
const iso = (ms: number) => new Date(ms).toISOString();
const deactivated: KeyEvent = { type: 'KeyDeactivated', data: { keyId, projectId, reason: null } };
const reactivated: KeyEvent = { type: 'KeyReactivated', data: { keyId, projectId, reason: null } };
const deleted: KeyEvent = { type: 'KeyDeleted', data: { keyId, projectId, reason: null, previousStatus: 'ACTIVE' } };

const given = (...events: KeyEvent[]) => ({
  when: (command: KeyCommand) => () => decide(command, foldKeyState(events)),
});

const deactivate: KeyCommand = { type: 'DeactivateKey', keyId, reason: 'rotating', at: NOW };
const reactivate: KeyCommand = { type: 'ReactivateKey', keyId, reason: null, at: NOW };
const remove: KeyCommand = { type: 'DeleteKey', keyId, reason: 'leaked', at: NOW };
const roll = (gracePeriodSeconds: number): KeyCommand => ({
  type: 'RollKey',
  keyId,
  successorId: 'key-2',
  secretHash: 'h2',
  maskedKey: 'ak_live_efgh…stuv',
  gracePeriodSeconds,
  successorExpiresAt: null,
  reason: 'quarterly rotation',
  at: NOW,
});
const generate: KeyCommand = {
  type: 'GenerateKey',
  keyId,
  projectId,
  name: 'CI',
  environment: 'live',
  secretHash: 'h',
  maskedKey: 'ak_live_abcd…wxyz',
  expiresAt: null,
};
const expiringAt = (ms: number): KeyEvent => ({ ...generated, data: { ...generated.data, expiresAt: iso(ms) } }) as KeyEvent;

describe('decide', () => {
  it('generates a key that does not exist yet', () => {
    expect(given().when(generate)()).toEqual([generated]);
  });

  it('refuses to generate over an existing key', () => {
    expect(given(generated).when(generate)).toThrow(InvalidStateError);
  });

  it('deactivates an active key, with the reason', () => {
    expect(given(generated).when(deactivate)()).toEqual([{ type: 'KeyDeactivated', data: { keyId, projectId, reason: 'rotating' } }]);
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
    expect(given(generated).when(remove)()).toEqual([{ type: 'KeyDeleted', data: { keyId, projectId, reason: 'leaked', previousStatus: 'ACTIVE' } }]);
    expect(given(generated, deactivated).when(remove)()).toEqual([{ type: 'KeyDeleted', data: { keyId, projectId, reason: 'leaked', previousStatus: 'INACTIVE' } }]);
  });

  it('accepts no command at all once a key is deleted', () => {
    for (const command of [deactivate, reactivate, remove]) {
      expect(given(generated, deleted).when(command)).toThrow(InvalidStateError);
    }
  });

  it('refuses to deactivate or reactivate an expired key, but deletes it', () => {
    const expired = expiringAt(NOW - 1);
    expect(given(expired).when(deactivate)).toThrow(/this key is EXPIRED/);
    expect(given(expired, deactivated).when(reactivate)).toThrow(/this key is EXPIRED/);
    expect(given(expired).when(remove)()).toMatchObject([{ type: 'KeyDeleted' }]);
    // One millisecond before its expiry the key is still active.
    expect(given(expiringAt(NOW + 1)).when(deactivate)()).toMatchObject([{ type: 'KeyDeactivated' }]);
  });

  it('rolls a key: the old one learns its successor and the end of its grace, the successor is born linked', () => {
    expect(given(generated).when(roll(3600))()).toEqual([
      {
        type: 'KeyRolled',
        data: { keyId, projectId, successorId: 'key-2', gracePeriodSeconds: 3600, previousExpiresAt: null, expiresAt: iso(NOW + 3_600_000), reason: 'quarterly rotation' },
      },
      {
        type: 'KeyGenerated',
        data: { keyId: 'key-2', projectId, name: 'CI', environment: 'live', secretHash: 'h2', maskedKey: 'ak_live_efgh…stuv', expiresAt: null, rotatedFrom: keyId },
      },
    ]);
  });

  it('never extends a key’s life by rolling it', () => {
    const [rolled] = given(expiringAt(NOW + 60_000)).when(roll(3600))();
    expect(rolled!.data).toMatchObject({ previousExpiresAt: iso(NOW + 60_000), expiresAt: iso(NOW + 60_000) });
    const [atOnce] = given(generated).when(roll(0))();
    expect(atOnce!.data).toMatchObject({ expiresAt: iso(NOW) });
  });

  it('refuses to roll a deleted, inactive, expired or already rolled key', () => {
    expect(given(generated, deleted).when(roll(0))).toThrow(/deleted/);
    expect(given(generated, deactivated).when(roll(0))).toThrow(/Only an active key can be rolled; this key is INACTIVE/);
    expect(given(expiringAt(NOW)).when(roll(0))).toThrow(/this key is EXPIRED/);
    const [rolled] = given(generated).when(roll(60))();
    expect(given(generated, rolled!).when(roll(60))).toThrow(/already rolled/);
  });

  it('answers NotFound for every command on a key that does not exist', () => {
    for (const command of [deactivate, reactivate, remove, roll(0)]) {
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
