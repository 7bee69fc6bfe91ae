import { readFileSync } from 'node:fs';
import { z } from 'zod';

// A backup's log head: the last event the copy holds and its chain hash. Kept
// apart from the copy (FILE.head.json, and better somewhere else as well), it is
// what a restored database is checked against: a copy whose chain verifies and
// still holds that event with that hash is the log as it was backed up, not a
// shorter or rewritten one.

export interface ExpectedHead {
  /** Null for a backup of an empty log: then any intact log matches. */
  position: number | null;
  hash: string | null;
}

export const headFileSchema = z.object({
  headPosition: z.number().int().positive().nullable(),
  headHash: z
    .string()
    .regex(/^[0-9a-f]{64}$/)
    .nullable(),
  takenAt: z.string(),
  events: z.number().int().nonnegative(),
  database: z.string(),
  bytes: z.number().int().nonnegative().optional(),
});

export type HeadFile = z.infer<typeof headFileSchema>;

export class HeadFormatError extends Error {}

/** Parses `<position>:<hash>` as npm run verify-log and npm run backup print them. */
export function parseExpectedHead(value: string): ExpectedHead {
  const match = /^(\d{1,15}):([0-9a-f]{64})$/.exec(value.trim());
  if (!match || Number(match[1]) < 1) throw new HeadFormatError('--expect-head must be <position>:<64 lowercase hex digits>, as npm run verify-log prints the head');
  return { position: Number(match[1]), hash: match[2]! };
}

/** Reads FILE.head.json as npm run backup writes it. */
export function readHeadFile(file: string): ExpectedHead {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new HeadFormatError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new HeadFormatError(`${file} is not JSON`);
  }
  const parsed = headFileSchema.safeParse(json);
  if (!parsed.success) throw new HeadFormatError(`${file} is not a backup head file (headPosition, headHash, takenAt, events, database)`);
  if ((parsed.data.headPosition === null) !== (parsed.data.headHash === null))
    throw new HeadFormatError(`${file} has a head position without a hash, or a hash without a position`);
  return { position: parsed.data.headPosition, hash: parsed.data.headHash };
}
