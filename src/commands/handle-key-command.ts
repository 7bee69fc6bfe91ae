import type { StoredEvent } from '../../events/event-envelope';
import { lifecycleStreamId } from '../../events/streams';
import { projectEvents } from '../../projections/project-events';
import { decide } from '../domain/decide';
import type { KeyCommand } from '../domain/key-commands';
import { foldKeyState } from '../domain/key-state';
import { appendToStream, readStream } from '../store/event-store';
import { notifyKeyChanged } from '../store/key-change-notifications';
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

  const stored = await ctx.db.transaction().execute(async (trx) => {
    const appended = await appendToStream(trx, lifecycleStreamId(command.keyId), readVersion, events, {
      metadata: ctx.metadata,
      recordedAt: ctx.now().toISOString(),
    });
    await projectEvents(trx, appended);
    await notifyKeyChanged(trx, [command.keyId]);
    return appended;
  });
  ctx.afterCommit?.(stored);
  return stored;
}
