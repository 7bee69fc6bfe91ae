import type { StoredEvent } from '../../events/event-envelope';
import { lifecycleStreamId, usageStreamId } from '../../events/streams';
import { projectEvents } from '../../projections/project-events';
import { decide } from '../domain/decide';
import type { KeyCommand } from '../domain/key-commands';
import { foldKeyState } from '../domain/key-state';
import { appendToStream, readStream } from '../store/event-store';
import type { CommandContext } from './command-context';

/**
 * Loads the key's lifecycle stream, decides, then appends and projects in one
 * transaction. The append names the version that was read, so a concurrent change
 * in between becomes a ConflictError instead of a lost write.
 */
export async function handleKeyCommand(ctx: CommandContext, command: KeyCommand): Promise<StoredEvent[]> {
  const history = await readStream(ctx.db, lifecycleStreamId(command.keyId));
  const events = decide(command, foldKeyState(history));
  const readVersion = history.at(-1)?.streamVersion ?? 0;
  // Usage goes to its own stream, appended after whatever is there: it never
  // competes with lifecycle commands for the key's stream version.
  const [streamId, expected] =
    command.type === 'RecordKeyUse' ? [usageStreamId(command.keyId), 'end' as const] : [lifecycleStreamId(command.keyId), readVersion];

  return ctx.db.transaction().execute(async (trx) => {
    const stored = await appendToStream(trx, streamId, expected, events, {
      metadata: ctx.metadata,
      recordedAt: ctx.now().toISOString(),
    });
    await projectEvents(trx, stored);
    return stored;
  });
}
