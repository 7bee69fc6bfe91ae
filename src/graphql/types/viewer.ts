import { ALL_PROJECTS, canSeeProject, hasPermission, isOperator, type Permission, PROJECT_PERMISSIONS, type Principal } from '../../auth/principal';
import { projectId as projectIdRule } from '../../commands/inputs';
import { builder } from '../builder';
import { loadProject, type Project, ProjectRef } from './project';

/** One project the token names, as the caller may use it. */
interface ViewerProject {
  projectId: string;
  permissions: Permission[];
  project: Project | null;
}

/**
 * "operator" is left out of a project's permissions: it counts only on "*", so on
 * a project it grants nothing, and a console showing it there would mislead.
 */

function viewerProject(principal: Principal, projectId: string): ViewerProject {
  const permissions = PROJECT_PERMISSIONS.filter((permission) => hasPermission(principal, projectId, permission));
  // An id the projectId rule refuses can hold no keys, and Query.project would refuse it: null, not an error for the whole list.
  const visible = canSeeProject(principal, projectId) && projectIdRule.safeParse(projectId).success;
  return { projectId, permissions, project: visible ? loadProject(projectId) : null };
}

/** The projects the token names (not "*"), in code-unit order of their ids, so the list is the same on every server. */
function explicitProjects(principal: Principal): ViewerProject[] {
  const ids = [...principal.perms.keys()].filter((id) => id !== ALL_PROJECTS).sort();
  return ids.map((id) => viewerProject(principal, id));
}

const ViewerProjectRef = builder.objectRef<ViewerProject>('ViewerProject').implement({
  description: 'A project the token names explicitly, with what the token may do there.',
  fields: (t) => ({
    projectId: t.exposeString('projectId', { description: 'The project’s id, exactly as the token names it.' }),
    permissions: t.stringList({
      description:
        'What the token may do on this project: the permissions it grants here plus those it grants on "*", each once, in the order keys:read, keys:write, audit:read, keys:verify. Unknown names are ignored; "operator" is never listed here (it counts only on "*": see Viewer.operator).',
      resolve: (entry) => entry.permissions,
    }),
    project: t.field({
      type: ProjectRef,
      nullable: true,
      description:
        'The project, as Query.project answers it, when the token may see its keys (keys:read, keys:write or audit:read, here or on "*"). Null otherwise (for example with keys:verify only), and for an id that is not a valid project id.',
      resolve: (entry) => entry.project,
    }),
  }),
});

export const ViewerRef = builder.objectRef<Principal>('Viewer').implement({
  description: 'The caller, as its bearer token describes it: who it is, until when the token works, and which projects it may use.',
  fields: (t) => ({
    subject: t.exposeString('subject', { description: 'The token’s sub: the actor recorded in every event this caller causes.' }),
    tokenExpiresAt: t.field({
      type: 'DateTime',
      nullable: true,
      description:
        'When this server stops accepting the token: its exp claim plus the 30 seconds of clock skew tolerated. Null when unknown. A console should get a new token before then.',
      resolve: (principal) => (principal.expiresAt === undefined ? null : new Date(principal.expiresAt)),
    }),
    projects: t.field({
      type: [ViewerProjectRef],
      description:
        'Every project the token names explicitly (not "*"), sorted by id (code-unit order), whatever it grants there: one it may not see (keys:verify only, say) is listed with project null. Projects reached only through "*" are not listed, as they cannot be enumerated: see allProjects.',
      resolve: (principal) => explicitProjects(principal),
    }),
    allProjects: t.boolean({
      description:
        'True when the token grants keys:read, keys:write or audit:read on "*": then any project can be opened by its id (Query.project), though the projects list cannot name them.',
      // On the id "*" itself, canSeeProject asks exactly what "*" grants.
      resolve: (principal) => canSeeProject(principal, ALL_PROJECTS),
    }),
    operator: t.boolean({
      description: 'True when the token holds operator on "*": it may run the checks that span every tenant (Query.auditIntegrity).',
      resolve: (principal) => isOperator(principal),
    }),
  }),
});
