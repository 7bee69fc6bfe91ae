import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendError } from './http-responses';
import { MAX_BODY_BYTES } from './query-limits';

/** The body was not read, so the connection cannot carry another request. */
const UNREAD_BODY = { connection: 'close' };

/** A body must announce its length, within the limit, before any of it is read. */
export function rejectUnboundedBody(req: IncomingMessage, res: ServerResponse): boolean {
  const length = Number(req.headers['content-length']);
  if (req.headers['content-length'] === undefined || !Number.isFinite(length)) {
    sendError(res, 411, 'LENGTH_REQUIRED', 'Send a Content-Length header', UNREAD_BODY);
    return true;
  }
  if (length > MAX_BODY_BYTES) {
    sendError(res, 413, 'PAYLOAD_TOO_LARGE', `Request bodies are limited to ${MAX_BODY_BYTES} bytes`, UNREAD_BODY);
    return true;
  }
  return false;
}

/** Thrown when the client went away (or stalled past the request timeout) before sending the whole body. */
export class IncompleteBodyError extends Error {}

/**
 * The whole body, or a rejection if it never arrives: a client that disconnects
 * mid-body makes the stream end in 'error' (aborted) or in a bare 'close', and
 * either must settle this promise, or the request would hang or its rejection go unhandled.
 */
export function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let complete = false;
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      complete = true;
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks));
    });
    req.on('error', () => reject(new IncompleteBodyError('the request body did not arrive whole')));
    req.on('close', () => {
      if (!complete) reject(new IncompleteBodyError('the request body did not arrive whole'));
    });
  });
}
