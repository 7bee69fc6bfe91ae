import { sql, type Kysely } from 'kysely';
import pg from 'pg';
import type { Logger } from 'pino';
import { isPostgres, postgresConfig } from './database';

// Several server instances on one PostgreSQL database each keep state fed by the
// log: a cache of keys for verification, and the live audit feed. The transaction
// that appends also sends a NOTIFY (delivered only if it commits), and every
// instance LISTENs: a changed key is dropped from its cache, and new events wake
// its feed. On SQLite, one process owns the file and these are no-ops.

const KEY_CHANGES = 'api_key_changes';
const LOG_APPENDS = 'event_log_appends';

/** Inside the appending transaction: these keys' lifecycle changed. */
export async function notifyKeyChanged(trx: Kysely<any>, keyIds: string[]): Promise<void> {
  if (!isPostgres(trx)) return;
  for (const keyId of new Set(keyIds)) await sql`select pg_notify(${KEY_CHANGES}, ${keyId})`.execute(trx);
}

/** Inside the appending transaction: the log grew. */
export async function notifyLogAppended(trx: Kysely<any>): Promise<void> {
  if (isPostgres(trx)) await sql`select pg_notify(${LOG_APPENDS}, '')`.execute(trx);
}

export interface ChangeHandlers {
  keyChanged(keyId: string): void;
  logAppended(): void;
  /** The listener lost its connection: changes may be missed until connected(). */
  disconnected(): void;
  connected(): void;
}

/** Listens on a connection of its own, reconnecting when it drops. */
export class ChangeListener {
  private client: pg.Client | null = null;
  private stopped = false;
  private retry: NodeJS.Timeout | undefined;

  constructor(private readonly databaseUrl: string, private readonly handlers: ChangeHandlers, private readonly logger?: Logger) {}

  async start(): Promise<void> {
    const client = new pg.Client(postgresConfig(this.databaseUrl));
    client.on('notification', (message) => {
      if (message.channel === LOG_APPENDS) this.handlers.logAppended();
      else if (message.payload) this.handlers.keyChanged(message.payload);
    });
    client.on('error', (error) => this.lost(client, error));
    client.on('end', () => this.lost(client));
    await client.connect();
    await client.query(`LISTEN ${KEY_CHANGES}; LISTEN ${LOG_APPENDS}`);
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
    this.logger?.warn({ err: error }, 'change listener lost its connection; retrying');
    const reconnect = () => {
      if (this.stopped) return;
      this.start().catch(() => (this.retry = setTimeout(reconnect, 1000)));
    };
    this.retry = setTimeout(reconnect, 200);
  }
}
