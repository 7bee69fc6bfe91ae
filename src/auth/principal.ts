// Who is acting and what they may do. Tokens carry permissions per project:
//   {"sub":"alice","perms":{"proj_1":["keys:read","keys:write","audit:read"],"*":["keys:verify"]}}
// "*" grants its permissions on every project. "operator" counts only under "*":
// it runs checks that span every tenant (the log's integrity).

export const PERMISSIONS = ['keys:read', 'keys:write', 'audit:read', 'keys:verify', 'operator'] as const;
export type Permission = (typeof PERMISSIONS)[number];

/** Every permission that counts on a project: all but operator, which counts only under "*". */
export const PROJECT_PERMISSIONS: readonly Permission[] = PERMISSIONS.filter((permission) => permission !== 'operator');

/** Permissions that manage a project; holding any of them makes the project's keys visible (not just readable). */
const MANAGEMENT_PERMISSIONS: readonly Permission[] = ['keys:read', 'keys:write', 'audit:read'];

export const ALL_PROJECTS = '*';

export interface Principal {
  subject: string;
  /**
   * Permissions by project id. A Map, not an object: project ids come from tokens
   * and requests, and one named "constructor" or "__proto__" must be just a name.
   */
  perms: ReadonlyMap<string, readonly Permission[]>;
  /** When the token stops being valid (epoch ms): long-lived answers, like a live feed, end then. */
  expiresAt?: number;
}

export function hasPermission(principal: Principal, projectId: string, permission: Permission): boolean {
  return Boolean(principal.perms.get(projectId)?.includes(permission) || principal.perms.get(ALL_PROJECTS)?.includes(permission));
}

/** Whether the principal may know that the project's keys exist; otherwise they answer NotFound, so ids cannot be probed. */
export function canSeeProject(principal: Principal, projectId: string): boolean {
  return MANAGEMENT_PERMISSIONS.some((permission) => hasPermission(principal, projectId, permission));
}

export function hasPermissionAnywhere(principal: Principal, permission: Permission): boolean {
  for (const granted of principal.perms.values()) if (granted.includes(permission)) return true;
  return false;
}

/** Operators run checks across every tenant; the permission counts only when granted on "*". */
export function isOperator(principal: Principal): boolean {
  return principal.perms.get(ALL_PROJECTS)?.includes('operator') ?? false;
}
