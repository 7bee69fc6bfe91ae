// Runs autocannon in its own process (so the load generator never shares a core's
// event loop with what it measures) and prints its result as one JSON line.
// Usage: tsx bench/load-generator.ts '<json options>'
import autocannon from 'autocannon';

interface LoadOptions {
  url: string;
  connections: number;
  durationSeconds: number;
  headers: Record<string, string>;
  /** Bodies sent in turn on each connection. */
  bodies: string[];
}

const options = JSON.parse(process.argv[2]!) as LoadOptions;
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
  }),
);
