// Runs autocannon in its own process (so the load generator never shares a core's
// event loop with what it measures) and prints its result as one JSON line.
// Usage: tsx bench/load-generator.ts '<json options>' | <file holding them>
import { readFileSync } from 'node:fs';
import autocannon from 'autocannon';

interface LoadOptions {
  url: string;
  connections: number;
  durationSeconds: number;
  headers: Record<string, string>;
  /** Bodies sent in turn on each connection. */
  bodies: string[];
  /** Epoch ms to start at (after this process has started up): a load aligned to a usage window. */
  startAt?: number;
}

const argument = process.argv[2]!;
const options = JSON.parse(argument.trimStart().startsWith('{') ? argument : readFileSync(argument, 'utf8')) as LoadOptions;
if (options.startAt !== undefined) await new Promise((resolve) => setTimeout(resolve, Math.max(0, options.startAt! - Date.now())));
const started = Date.now();
const result = await autocannon({
  url: options.url,
  connections: options.connections,
  duration: options.durationSeconds,
  method: 'POST',
  headers: options.headers,
  requests: options.bodies.map((body) => ({ method: 'POST', body })),
});
console.log(
  JSON.stringify({
    requestsPerSecond: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    total: result.requests.total,
    errors: result.errors,
    timeouts: result.timeouts,
    non2xx: result.non2xx,
    startedAt: started,
    endedAt: Date.now(),
  }),
);
