/**
 * A key's environment, told apart by its word first and its look second: live keys
 * (production traffic) solid, test keys dashed, any other environment dotted.
 */
export function EnvironmentBadge({ environment }: { environment: string }) {
  const look = environment === 'live' ? 'live' : environment === 'test' ? 'test' : 'other';
  return <span className={`env env-${look}`}>{environment}</span>;
}
