import { randomUUID } from 'node:crypto';
import { type Kysely, sql } from 'kysely';
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
const HEARTBEATS = 'api_key_heartbeats';

/** Inside the appending transaction: these keys' lifecycle changed (the payload is the key id alone). */
// biome-ignore lint/suspicious/noExplicitAny: called inside transactions on either the typed database or the untyped usage tables
export async function notifyKeyChanged(trx: Kysely<any>, keyIds: string[]): Promise<void> {
  if (!isPostgres(trx)) return;
  for (const keyId of new Set(keyIds)) await sql`select pg_notify(${KEY_CHANGES}, ${keyId})`.execute(trx);
}

/**
 * Inside the appending transaction: the log grew, up to events recorded at
 * `recordedAt`. The time travels along so that an instance whose clock is behind
 * moves its own forward: a roll with no grace period expires the old key by the
 * rolling instance's clock, and must not verify elsewhere for as long as the
 * clocks differ. (Instances from before this ignore the payload.)
 */
// biome-ignore lint/suspicious/noExplicitAny: called inside transactions on either the typed database or the untyped usage tables
export async function notifyLogAppended(trx: Kysely<any>, recordedAt: string): Promise<void> {
  if (isPostgres(trx)) await sql`select pg_notify(${LOG_APPENDS}, ${String(Date.parse(recordedAt))})`.execute(trx);
}

/**
 * The recorded time a notification announces, when it is believable: epoch ms
 * as digits, at most MAX_CLOCK_LEAD_MS ahead of this machine's clock. Anyone who
 * can connect to the database can send a NOTIFY, and one instance's clock may run
 * far ahead; either must not move every instance's clock into the future.
 */
export function announcedTime(payload: string | undefined, now = Date.now()): number | null {
  if (!payload || !/^\d{1,15}$/.test(payload)) return null;
  const at = Number(payload);
  return at <= now + MAX_CLOCK_LEAD_MS ? at : null;
}

/** How far ahead of this machine another instance's announced time may be and still be believed. */
export const MAX_CLOCK_LEAD_MS = 60_000;

export interface ChangeHandlers {
  keyChanged(keyId: string): void;
  /** The log grew; `recordedAt` (epoch ms, by the writer's clock) when it is believable, else null. */
  logAppended(recordedAt: number | null): void;
  /** The listener lost its connection: changes may be missed until it is back. */
  disconnected(): void;
  /** Listening again (after start or a reconnect). */
  connected(): void;
  /**
   * Every notification committed before `sentAt` (performance.now() ms of this
   * process) has been delivered and handled: a heartbeat sent then came back.
   */
  confirmed(sentAt: number): void;
}

export interface ChangeListenerOptions {
  /** How often a heartbeat goes round the channel (default 250 ms). */
  heartbeatMs?: number;
  /** No heartbeat back for this long: the connection went silent without closing; replace it (default 3000 ms). */
  silentMs?: number;
}

/**
 * Listens on a connection of its own, reconnecting when it drops. A connection can
 * also stop delivering without ever closing (a NAT or firewall dropping an idle
 * flow, a partition), so the listener sends itself a heartbeat through the same
 * notification queue every heartbeatMs. PostgreSQL delivers notifications in
 * commit order, so when a heartbeat sent at T comes back, every change committed
 * before T has already been handled: confirmed(T). Callers trust what the channel
 * told them only for a bounded time after the last confirmation.
 */
export class ChangeListener {
  private client: pg.Client | null = null;
  private stopped = false;
  private retry: NodeJS.Timeout | undefined;
  private beat: NodeJS.Timeout | undefined;
  private readonly instance = randomUUID();
  private lastEcho = 0;
  private awaitingEcho = false;

  constructor(
    private readonly databaseUrl: string,
    private readonly handlers: ChangeHandlers,
    private readonly logger?: Logger,
    private readonly options: ChangeListenerOptions = {},
  ) {}

  async start(): Promise<void> {
    const client = new pg.Client({ ...postgresConfig(this.databaseUrl), connectionTimeoutMillis: 2000, keepAlive: true });
    client.on('notification', (message) => {
      if (message.channel === HEARTBEATS) this.echoed(message.payload);
      else if (message.channel === LOG_APPENDS) this.handlers.logAppended(announcedTime(message.payload));
      else if (message.payload) this.handlers.keyChanged(message.payload);
    });
    client.on('error', (error) => this.lost(client, error));
    client.on('end', () => this.lost(client));
    try {
      await client.connect();
      await client.query(`LISTEN ${KEY_CHANGES}; LISTEN ${LOG_APPENDS}; LISTEN ${HEARTBEATS}`);
    } catch (error) {
      destroy(client);
      throw error;
    }
    if (this.stopped) return void destroy(client);
    this.client = client;
    this.lastEcho = performance.now();
    this.awaitingEcho = false;
    this.handlers.connected();
    this.sendHeartbeat();
    clearInterval(this.beat);
    this.beat = setInterval(() => this.sendHeartbeat(), this.options.heartbeatMs ?? 250);
    this.beat.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retry);
    clearInterval(this.beat);
    const client = this.client;
    this.client = null;
    if (client) await Promise.race([client.end().catch(() => undefined), new Promise((resolve) => setTimeout(resolve, 1000).unref())]);
    if (client) destroy(client);
  }

  private sendHeartbeat(): void {
    const client = this.client;
    if (!client) return;
    if (performance.now() - this.lastEcho > (this.options.silentMs ?? 3000)) {
      this.lost(client, new Error('no heartbeat came back through the notification channel'));
      destroy(client);
      return;
    }
    // One at a time: on a silent connection they would only pile up.
    if (this.awaitingEcho) return;
    this.awaitingEcho = true;
    client.query('select pg_notify($1, $2)', [HEARTBEATS, `${this.instance} ${performance.now()}`]).catch(() => undefined);
  }

  private echoed(payload: string | undefined): void {
    const [instance, sentAt] = (payload ?? '').split(' ');
    if (instance !== this.instance) return;
    this.awaitingEcho = false;
    this.lastEcho = performance.now();
    this.handlers.confirmed(Number(sentAt));
  }

  private lost(client: pg.Client, error?: Error): void {
    if (this.client !== client || this.stopped) return;
    this.client = null;
    clearInterval(this.beat);
    this.handlers.disconnected();
    this.logger?.warn({ err: error }, 'change listener lost its connection; retrying');
    const reconnect = () => {
      if (this.stopped) return;
      this.start().catch((failure) => {
        this.logger?.debug({ err: failure }, 'change listener could not reconnect yet');
        this.retry = setTimeout(reconnect, 1000);
      });
    };
    this.retry = setTimeout(reconnect, 200);
  }
}

/** Closes a client's socket at once: end() waits for a server that may never answer. */
function destroy(client: pg.Client): void {
  (client as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream?.destroy();
}
