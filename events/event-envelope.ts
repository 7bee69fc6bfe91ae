import type { KeyEvent } from './key-events';
import type { LogEvent } from './log-events';

/** Who caused an event and in answer to what; stored beside every event. */
export interface EventMetadata {
  actor: string;
  requestId: string;
  /** The request or event this one answers; the request id for a direct command. */
  causationId: string;
  /** Ties together everything one client operation caused across requests. */
  correlationId: string;
  /** The caller's address and user agent, as the server saw them. */
  clientAddress: string | null;
  userAgent: string | null;
}

/** An event as it stands in the log. */
export type StoredEvent<E extends LogEvent = KeyEvent> = E & {
  position: number;
  streamId: string;
  streamVersion: number;
  schemaVersion: number;
  metadata: EventMetadata;
  recordedAt: string;
};
