import { useEffect } from 'react';
import { useQuery } from 'urql';
import ViewerQuery from '../api/operations/viewer.graphql';
import type { Viewer } from '../api/types';
import { AuditPage } from '../audit/audit-page';
import type { Session } from '../auth/session';
import { KeyDetailPage } from '../key-detail/key-detail-page';
import { KeysPage } from '../keys/keys-page';
import { LoadError, Loading } from '../ui/states';
import { ProjectSwitcher } from './project-switcher';
import { hrefOf, navigate, type Route, useRoute } from './routing';

/** The header (project, views, who is signed in) around the view the URL names. */
export function Shell({ session, onSignOut }: { session: Session; onSignOut(): void }) {
  const [{ data, error, fetching }, refetch] = useQuery<{ viewer: Viewer }>({ query: ViewerQuery });
  const route = useRoute();
  const viewer = data?.viewer;
  const visible = viewer?.projects.filter((entry) => entry.project !== null) ?? [];

  // No project in the URL: open the first one the token may see.
  const firstProject = visible[0]?.projectId;
  // A token that may read the audit log but not the keys opens on the audit log.
  const firstPermissions = visible[0]?.permissions ?? [];
  const firstView = !firstPermissions.includes('keys:read') && firstPermissions.includes('audit:read') ? 'audit' : 'keys';
  useEffect(() => {
    if (route.view === 'home' && firstProject) navigate({ view: firstView, projectId: firstProject }, { replace: true });
  }, [route.view, firstProject, firstView]);

  const projectId = route.view === 'home' ? null : route.projectId;
  return (
    <>
      {/* A button, not a #main link: the fragment holds the route. Focus moves to the view's heading. */}
      <button type="button" className="skip-link" onClick={() => document.querySelector<HTMLElement>('main h1')?.focus()}>
        Skip to content
      </button>
      <header className="topbar">
        <span className="brand">API Keys</span>
        {viewer && <ProjectSwitcher viewer={viewer} current={projectId} />}
        {projectId && (
          <nav aria-label="Views">
            <a href={hrefOf({ view: 'keys', projectId })} aria-current={route.view === 'keys' || route.view === 'key' ? 'page' : undefined}>
              Keys
            </a>
            <a href={hrefOf({ view: 'audit', projectId })} aria-current={route.view === 'audit' ? 'page' : undefined}>
              Audit log
            </a>
          </nav>
        )}
        <span className="who">
          {viewer && <span title={sourceLabel(session)}>{viewer.subject}</span>}
          {session.source !== 'embedded' && (
            <button type="button" onClick={onSignOut}>
              Sign out
            </button>
          )}
        </span>
      </header>
      {error && !data ? (
        <main id="main">
          <h1 tabIndex={-1}>API Keys</h1>
          <LoadError error={error} retry={() => refetch({ requestPolicy: 'network-only' })} />
        </main>
      ) : !viewer && fetching ? (
        <main id="main">
          <Loading what="your projects" />
        </main>
      ) : (
        <View route={route} viewer={viewer ?? null} />
      )}
    </>
  );
}

function View({ route, viewer }: { route: Route; viewer: Viewer | null }) {
  // Keyed by project: switching projects starts a page afresh (filters, paging, dialogs).
  if (route.view === 'keys') return <KeysPage key={route.projectId} projectId={route.projectId} />;
  if (route.view === 'key') return <KeyDetailPage key={route.keyId} projectId={route.projectId} keyId={route.keyId} />;
  if (route.view === 'audit') return <AuditPage key={route.projectId} projectId={route.projectId} operator={viewer?.operator ?? false} />;
  return (
    <main id="main">
      <h1 tabIndex={-1}>API Keys</h1>
      <p>
        {viewer?.allProjects
          ? 'Your token may open any project: enter its id in the project field above.'
          : 'Your token grants no project whose keys you may see. Ask for a token with keys:read on a project.'}
      </p>
    </main>
  );
}

function sourceLabel(session: Session): string {
  if (session.source === 'development') return 'Signed in with the development token (this machine only)';
  if (session.source === 'embedded') return 'Signed in by the page that embeds this console';
  return 'Signed in with a bearer token (kept for this tab only)';
}
