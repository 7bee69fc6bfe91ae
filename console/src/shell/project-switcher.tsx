import { useEffect, useState } from 'react';
import type { Viewer } from '../api/types';
import { navigate } from './routing';

/**
 * The projects the token names, to switch between; a token granted on every project
 * ("*") cannot list them, so its holder types a project's id instead.
 */
export function ProjectSwitcher({ viewer, current }: { viewer: Viewer; current: string | null }) {
  const listed = viewer.projects.filter((entry) => entry.project !== null).map((entry) => entry.projectId);
  const [typed, setTyped] = useState(current ?? '');
  useEffect(() => setTyped(current ?? ''), [current]);
  const open = (projectId: string) => projectId && navigate({ view: 'keys', projectId });

  if (viewer.allProjects)
    return (
      <form
        className="project-switcher"
        onSubmit={(event) => {
          event.preventDefault();
          open(typed.trim());
        }}
      >
        <label htmlFor="project-id">Project</label>
        <input id="project-id" list="known-projects" value={typed} onChange={(event) => setTyped(event.target.value)} spellCheck={false} />
        <datalist id="known-projects">
          {listed.map((projectId) => (
            <option key={projectId} value={projectId} />
          ))}
        </datalist>
        <button type="submit">Open</button>
      </form>
    );
  return (
    <div className="project-switcher">
      <label htmlFor="project-select">Project</label>
      <select id="project-select" value={current ?? ''} onChange={(event) => open(event.target.value)}>
        {current !== null && !listed.includes(current) && <option value={current}>{current}</option>}
        {listed.map((projectId) => (
          <option key={projectId} value={projectId}>
            {projectId}
          </option>
        ))}
      </select>
    </div>
  );
}
