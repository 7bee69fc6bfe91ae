import { Writable } from 'node:stream';
import pino from 'pino';

export type LogLine = Record<string, any>;

/** A pino logger writing into memory: each JSON line as written (raw) and parsed (lines). */
export function capturingLogger(level: string) {
  const lines: LogLine[] = [];
  const raw: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) {
        raw.push(line);
        lines.push(JSON.parse(line));
      }
      done();
    },
  });
  return { logger: pino({ level }, sink), lines, raw };
}
