import { execFileSync } from 'node:child_process';

/**
 * How to run a command as a user that file permissions apply to. Tests run as root here, for
 * whom a read-only file is still writable, so they run the command as `nobody` through setpriv.
 * Null when that is not possible (root without setpriv): such tests are skipped, with a warning.
 */
export function asUnprivileged(): ((command: string, args: string[]) => [string, string[]]) | null {
  if (process.getuid?.() !== 0) return (command, args) => [command, args];
  try {
    execFileSync('setpriv', ['--reuid=nobody', '--regid=nogroup', '--clear-groups', 'true']);
  } catch {
    return null;
  }
  return (command, args) => ['setpriv', ['--reuid=nobody', '--regid=nogroup', '--clear-groups', command, ...args]];
}
