import { createHash, randomBytes } from 'node:crypto';
import { crc32 } from 'node:zlib';

// Secret format: ak_<environment>_<43 base62 chars: 256 random bits><6 base62 chars: CRC32>
// The prefix lets people and secret scanners recognise a key and its environment;
// the checksum lets a scanner reject a typo or a random match without calling us
// (the same idea as GitHub's token format).

export const ENVIRONMENT_PATTERN = /^[a-z][a-z0-9]{1,15}$/;
const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const RANDOM_BYTES = 32;
const BODY_LENGTH = 43; // ceil(256 / log2(62))
const CHECKSUM_LENGTH = 6; // ceil(32 / log2(62))
const SECRET_PATTERN = new RegExp(`^ak_([a-z][a-z0-9]{1,15})_([0-9A-Za-z]{${BODY_LENGTH}})([0-9A-Za-z]{${CHECKSUM_LENGTH}})$`);
/** Anything longer cannot be one of our secrets; checked before any regex work. */
export const MAX_SECRET_LENGTH = 3 + 16 + 1 + BODY_LENGTH + CHECKSUM_LENGTH;

/** Anything that looks like one of our secrets, even a damaged one, wherever it appears in a text. */
const SECRET_LIKE = /ak_[a-z][a-z0-9]{1,15}_[0-9A-Za-z]{8,}/g;

/** Whether the text holds anything shaped like one of our secrets (search() ignores the g flag's state). */
export function containsSecretLike(text: string): boolean {
  return text.search(SECRET_LIKE) !== -1;
}

/** Replaces secret-like substrings, so an error can quote what it was sent without echoing a key. */
export function redactSecrets(text: string): string {
  return text.replace(SECRET_LIKE, (match) => `${match.slice(0, match.indexOf('_', 3) + 1)}[redacted]`);
}

export interface GeneratedSecret {
  secret: string;
  secretHash: string;
  maskedKey: string;
}

export function generateSecret(environment: string): GeneratedSecret {
  if (!ENVIRONMENT_PATTERN.test(environment)) throw new Error('environment does not match the secret format');
  const unsigned = `ak_${environment}_${toBase62(randomBytes(RANDOM_BYTES), BODY_LENGTH)}`;
  const secret = unsigned + checksumOf(unsigned);
  return { secret, secretHash: hashSecret(secret), maskedKey: maskSecret(secret) };
}

export interface ParsedSecret {
  environment: string;
}

/** Checks shape and checksum offline; null for anything that cannot be a key of ours. */
export function parseSecret(candidate: string): ParsedSecret | null {
  if (candidate.length > MAX_SECRET_LENGTH) return null;
  const match = SECRET_PATTERN.exec(candidate);
  if (!match) return null;
  const checksum = match[3]!;
  if (checksumOf(candidate.slice(0, -CHECKSUM_LENGTH)) !== checksum) return null;
  return { environment: match[1]! };
}

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

/** Prefix plus the first and last four characters: enough to tell keys apart, useless to an attacker. */
export function maskSecret(secret: string): string {
  const bodyStart = secret.indexOf('_', 3) + 1;
  return `${secret.slice(0, bodyStart + 4)}…${secret.slice(-4)}`;
}

/** CRC32 in base62: plain number arithmetic, as this runs on every verification. */
function checksumOf(text: string): string {
  let value = crc32(text) >>> 0;
  let out = '';
  for (let i = 0; i < CHECKSUM_LENGTH; i++) {
    out = BASE62[value % 62] + out;
    value = Math.floor(value / 62);
  }
  return out;
}

function toBase62(bytes: Buffer, length: number): string {
  let value = BigInt(`0x${bytes.toString('hex')}`);
  let out = '';
  while (value > 0n) {
    out = BASE62[Number(value % 62n)] + out;
    value /= 62n;
  }
  return out.padStart(length, '0');
}
