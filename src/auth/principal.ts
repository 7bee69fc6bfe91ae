// Who is acting and what they may do. Tokens carry permissions per project:
//   {"sub":"alice","perms":{"proj_1":["keys:read","keys:write","audit:read"],"*":["keys:verify"]}}
// "*" grants its permissions on every project.

export const PERMISSIONS = ['keys:read', 'keys:write', 'audit:read', 'keys:verify'] as const;
export type Permission = (typeof PERMISSIONS)[number];

/** Permissions that manage a project; holding any of them makes the project's keys visible (not just readable). */
const MANAGEMENT_PERMISSIONS: readonly Permission[] = ['keys:read', 'keys:write', 'audit:read'];

export const ALL_PROJECTS = '*';

export interface Principal {
  subject: string;
  perms: Readonly<Record<string, readonly Permission[]>>;
  /** When the token stops being valid (epoch ms): long-lived answers, like a live feed, end then. */
  expiresAt?: number;
}

export function hasPermission(principal: Principal, projectId: string, permission: Permission): boolean {
  return Boolean(principal.perms[projectId]?.includes(permission) || principal.perms[ALL_PROJECTS]?.includes(permission));
}

/** Whether the principal may know that the project's keys exist; otherwise they answer NotFound, so ids cannot be probed. */
export function canSeeProject(principal: Principal, projectId: string): boolean {
  return MANAGEMENT_PERMISSIONS.some((permission) => hasPermission(principal, projectId, permission));
}

export function hasPermissionAnywhere(principal: Principal, permission: Permission): boolean {
  return Object.values(principal.perms).some((granted) => granted.includes(permission));
}
