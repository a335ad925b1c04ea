import { FixtureProject } from './fixture';
import { startUpstream, type Upstream } from './upstream';

/** One loopback upstream for the calling test file: started before its tests, closed after. */
export function useUpstream(): () => Upstream {
  let upstream: Upstream | undefined;
  beforeAll(async () => {
    upstream = await startUpstream();
  });
  afterAll(() => upstream?.close());
  return () => upstream!;
}

/** Makes fixture projects for the calling test file, and removes them after its tests. */
export function useProjects(name: string): (files: Record<string, string>, config?: Record<string, unknown>) => FixtureProject {
  const projects: FixtureProject[] = [];
  afterAll(() => projects.forEach((p) => p.remove()));
  return (files, config) => {
    const p = new FixtureProject(name, files, config);
    projects.push(p);
    return p;
  };
}
