import { sql, type Kysely } from 'kysely';
import pg from 'pg';
import type { Logger } from 'pino';
import { isPostgres, postgresConfig } from './database';

// Several server instances on one PostgreSQL database each cache keys for
// verification. A lifecycle change made through one must reach the others' caches:
// the transaction that appends it also sends a NOTIFY (delivered only if it
// commits), and every instance LISTENs and drops the key from its cache.

const CHANNEL = 'api_key_changes';

/** Inside the appending transaction. A no-op on SQLite, where one process owns the file. */
export async function notifyKeyChanged(trx: Kysely<any>, keyIds: string[]): Promise<void> {
  if (!isPostgres(trx)) return;
  for (const keyId of new Set(keyIds)) await sql`select pg_notify(${CHANNEL}, ${keyId})`.execute(trx);
}

export interface KeyChangeHandlers {
  changed(keyId: string): void;
  /** The listener lost its connection: changes may be missed until connected(). */
  disconnected(): void;
  connected(): void;
}

/** Listens for key changes on a connection of its own, reconnecting when it drops. */
export class KeyChangeListener {
  private client: pg.Client | null = null;
  private stopped = false;
  private retry: NodeJS.Timeout | undefined;

  constructor(private readonly databaseUrl: string, private readonly handlers: KeyChangeHandlers, private readonly logger?: Logger) {}

  async start(): Promise<void> {
    const client = new pg.Client(postgresConfig(this.databaseUrl));
    client.on('notification', (message) => message.payload && this.handlers.changed(message.payload));
    client.on('error', (error) => this.lost(client, error));
    client.on('end', () => this.lost(client));
    await client.connect();
    await client.query(`LISTEN ${CHANNEL}`);
    this.client = client;
    this.handlers.connected();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retry);
    await this.client?.end().catch(() => undefined);
  }

  private lost(client: pg.Client, error?: Error): void {
    if (this.client !== client || this.stopped) return;
    this.client = null;
    this.handlers.disconnected();
    this.logger?.warn({ err: error }, 'key change listener lost its connection; retrying');
    const reconnect = () => {
      if (this.stopped) return;
      this.start().catch(() => (this.retry = setTimeout(reconnect, 1000)));
    };
    this.retry = setTimeout(reconnect, 200);
  }
}
