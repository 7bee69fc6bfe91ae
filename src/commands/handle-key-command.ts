import type { StoredEvent } from '../../events/event-envelope';
import type { KeyEvent } from '../../events/key-events';
import { lifecycleStreamId } from '../../events/streams';
import { decide } from '../domain/decide';
import { ConflictError } from '../domain/errors';
import type { KeyCommand } from '../domain/key-commands';
import { foldKeyState, type KeyState } from '../domain/key-state';
import { commitEvents } from '../store/commit-events';
import { appendToStream, readStream } from '../store/event-store';
import type { CommandContext } from './command-context';

export interface KeyCommandOptions {
  /**
   * The key's version the caller last saw (ApiKey.version: the stream version of
   * its last lifecycle event). When the stream has moved on, nothing is decided
   * or written: a ConflictError, even where the command would still be allowed.
   */
  expectedVersion?: number | null;
}

/**
 * Loads the key's lifecycle stream, decides, then commits the events (append,
 * inline projections, notifications: commit-events.ts) in one transaction. The
 * append names the version that was read, so a concurrent change in between
 * becomes a ConflictError instead of a lost write. Events for another
 * key (a roll's successor) go to that key's own stream, which must be new.
 */
export function handleKeyCommand(ctx: CommandContext, command: KeyCommand, options: KeyCommandOptions = {}): Promise<StoredEvent[]> {
  return handleKeyCommandFor(ctx, command.keyId, () => command, options);
}

/** The same, for a command that needs the key's current state to be formed (a roll's secret takes the key's environment). */
export async function handleKeyCommandFor(
  ctx: CommandContext,
  keyId: string,
  commandFor: (state: KeyState) => KeyCommand,
  { expectedVersion = null }: KeyCommandOptions = {},
): Promise<StoredEvent[]> {
  const history = await readStream(ctx.db, lifecycleStreamId(keyId));
  const readVersion = history.at(-1)?.streamVersion ?? 0;
  // Checked against the version read: the append below names that same version, so
  // a change landing after this check still fails on the unique (stream, version).
  // A key with no history is left to the decision, which answers NotFound.
  if (expectedVersion !== null && history.length > 0 && expectedVersion !== readVersion) {
    throw new ConflictError(lifecycleStreamId(keyId), expectedVersion, readVersion);
  }
  const state = foldKeyState(history);
  const command = commandFor(state);
  const events = decide(command, state);
  const byKey = new Map<string, KeyEvent[]>();
  for (const event of events) byKey.set(event.data.keyId, [...(byKey.get(event.data.keyId) ?? []), event]);

  return commitEvents(
    ctx.db,
    async (trx) => {
      const appended: StoredEvent[] = [];
      for (const [keyId, keyEvents] of byKey) {
        const expected = keyId === command.keyId ? readVersion : 0;
        const recordedAt = ctx.now().toISOString();
        appended.push(...(await appendToStream(trx, lifecycleStreamId(keyId), expected, keyEvents, { metadata: ctx.metadata, recordedAt })));
      }
      return appended;
    },
    ctx.afterCommit,
  );
}
