import { describe, expect, it } from 'vitest';
import { HeavyWork, RequestAbandonedError } from '../../src/server/heavy-work';

// The heavy-work queue runs one slice at a time; a request whose client has gone
// must stop taking turns, or abandoned folds would keep other tenants waiting.

describe('heavy work of a request whose client went away', () => {
  it('runs no further slice once the signal is aborted, and frees the queue for others', async () => {
    const queue = new HeavyWork({ concurrency: 1 });
    const client = new AbortController();
    const abandoned = queue.forRequest(client.signal);
    const other = queue.forRequest();
    const ran: string[] = [];
    const slice = (runner: typeof abandoned, name: string) => runner(async () => void ran.push(name));

    await slice(abandoned, 'a1');
    // Queued behind a slice of someone else's, then the client leaves.
    const blocker = slice(other, 'b1');
    const queued = slice(abandoned, 'a2');
    client.abort();
    await blocker;
    await expect(queued).rejects.toBeInstanceOf(RequestAbandonedError);
    await expect(slice(abandoned, 'a3')).rejects.toBeInstanceOf(RequestAbandonedError);
    await slice(other, 'b2');
    expect(ran).toEqual(['a1', 'b1', 'b2']);
    expect(queue.queued).toBe(0);
  });
});
