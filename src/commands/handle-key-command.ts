import type { StoredEvent } from '../../events/event-envelope';
import type { KeyEvent } from '../../events/key-events';
import { lifecycleStreamId } from '../../events/streams';
import { decide } from '../domain/decide';
import type { KeyCommand } from '../domain/key-commands';
import { foldKeyState, type KeyState } from '../domain/key-state';
import { commitEvents } from '../store/commit-events';
import { appendToStream, readStream } from '../store/event-store';
import type { CommandContext } from './command-context';

/**
 * Loads the key's lifecycle stream, decides, then commits the events (append,
 * inline projections, notifications: commit-events.ts) in one transaction. The
 * append names the version that was read, so a concurrent change in between
 * becomes a ConflictError instead of a lost write. Events for another
 * key (a roll's successor) go to that key's own stream, which must be new.
 */
export function handleKeyCommand(ctx: CommandContext, command: KeyCommand): Promise<StoredEvent[]> {
  return handleKeyCommandFor(ctx, command.keyId, () => command);
}

/** The same, for a command that needs the key's current state to be formed (a roll's secret takes the key's environment). */
export async function handleKeyCommandFor(ctx: CommandContext, keyId: string, commandFor: (state: KeyState) => KeyCommand): Promise<StoredEvent[]> {
  const history = await readStream(ctx.db, lifecycleStreamId(keyId));
  const state = foldKeyState(history);
  const command = commandFor(state);
  const events = decide(command, state);
  const readVersion = history.at(-1)?.streamVersion ?? 0;
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
