import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Db } from '../store/database';

// Audit event ids and list cursors stand for a position in the global event log.
// Shown as numbers they would let a tenant count every other tenant's activity
// (its own consecutive events are 1 apart, or not). So a position is encrypted:
// AES-256 over exactly one 16-byte block, [kind tag | position (8 bytes) | check
// pattern (7 bytes)]. One block is a permutation, so equal positions give equal
// tokens (stable cursors) and neighbouring positions unrelated ones; decrypting a
// forged, tampered or foreign token gives a block whose tag or check pattern is
// wrong (a random block passes with odds of 2^-56), so it is refused, not obeyed.

/** What a token stands for; each has its own tag, so one is never accepted as another. */
export type OpaqueKind = 'ApiKey cursor' | 'AuditEvent cursor' | 'AuditEvent id';

const TAGS: Record<OpaqueKind, number> = { 'ApiKey cursor': 0x4b, 'AuditEvent cursor': 0x43, 'AuditEvent id': 0x49 };
const CHECK = Buffer.from('opaque!', 'latin1'); // 7 bytes
const BLOCK = 16;
/** Base64url of 16 bytes, without padding. */
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{22}$/;

export interface OpaqueIds {
  encode(kind: OpaqueKind, position: number): string;
  /** The position, or null when the token is not one this database made for this kind. */
  decode(kind: OpaqueKind, token: string): number | null;
}

export function createOpaqueIds(secret: Buffer): OpaqueIds {
  if (secret.length !== 32) throw new Error('The id secret must be 32 bytes');
  const key = Buffer.from(secret);
  const cache = new Map<string, string>();
  return {
    encode(kind, position) {
      const memo = `${kind}|${position}`;
      let token = cache.get(memo);
      if (token === undefined) {
        const block = Buffer.alloc(BLOCK);
        block[0] = TAGS[kind];
        block.writeBigUInt64BE(BigInt(position), 1);
        CHECK.copy(block, 9);
        const cipher = createCipheriv('aes-256-ecb', key, null).setAutoPadding(false);
        token = Buffer.concat([cipher.update(block), cipher.final()]).toString('base64url');
        // A page encodes each position up to twice (id and cursor); keep the memo small.
        if (cache.size > 10_000) cache.clear();
        cache.set(memo, token);
      }
      return token;
    },
    decode(kind, token) {
      if (typeof token !== 'string' || !TOKEN_SHAPE.test(token)) return null;
      const decipher = createDecipheriv('aes-256-ecb', key, null).setAutoPadding(false);
      const block = Buffer.concat([decipher.update(Buffer.from(token, 'base64url')), decipher.final()]);
      if (block[0] !== TAGS[kind] || !block.subarray(9).equals(CHECK)) return null;
      const position = block.readBigUInt64BE(1);
      if (position < 1n || position > BigInt(Number.MAX_SAFE_INTEGER)) return null;
      return Number(position);
    },
  };
}

/** The table migration 0004 creates; not part of the Database type, which lists the log and its projections. */
type SecretsTable = {
  server_secrets: { name: string; value: string };
};

const SECRET_NAME = 'opaque_ids';

/**
 * The database's id secret. Migration 0004 stores one at random, so every instance on
 * the database, and every restart, encrypts alike. Should the row be missing (a
 * database migrated by hand), the first instance to look adds one; a concurrent
 * instance's insert loses and both read the winner.
 */
export async function loadOpaqueIdSecret(db: Db): Promise<Buffer> {
  const secrets = (db as unknown as Kysely<object>).withTables<SecretsTable>();
  const read = () => secrets.selectFrom('server_secrets').select('value').where('name', '=', SECRET_NAME).executeTakeFirst();
  let row = await read();
  if (!row) {
    await secrets
      .insertInto('server_secrets')
      .values({ name: SECRET_NAME, value: randomBytes(32).toString('hex') })
      .onConflict((conflict) => conflict.column('name').doNothing())
      .execute();
    row = await read();
  }
  const secret = Buffer.from(row?.value ?? '', 'hex');
  if (secret.length !== 32) throw new Error('server_secrets holds no usable opaque_ids secret');
  return secret;
}
