// Types for the build scripts tests import. They are plain JavaScript (building must not
// need TypeScript), and the project's tsconfig does not read JavaScript.

declare module '*/scripts/build.mjs' {
  /** The package root. */
  export const ROOT: string;
  export function builtEntries(root?: string): string[];
  /** Builds dist/ (the server and the console) unless it is up to date; true when it built. */
  export function ensureBuilt(root?: string, log?: (line: string) => void): Promise<boolean>;
  /** Builds dist/ under a lock; without force, only when `reason` still holds once the lock is held. */
  export function build(root?: string, options?: { log?: (line: string) => void; reason?: string | null; force?: boolean }): Promise<boolean>;
  export function lockIsAbandoned(lock: { pid: number; startedAt: number; host?: string | null; mtimeMs: number }, now?: number, thisHost?: string): boolean;
}

declare module '*/scripts/console-operations.mjs' {
  export const OPERATIONS_DIR: string;
  export const FRAGMENTS_FILE: string;
  export function operationFiles(root: string): string[];
  /** Every console operation validated against the schema: `<file>:<line>:<column> <message>` per problem. */
  export function checkOperations(root: string, schemaSource?: string): Promise<string[]>;
}
