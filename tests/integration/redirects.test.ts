import { statusOf } from '../support/fixture';
import { useProjects, useUpstream } from '../support/lifecycle';

/** A redirect reached through a test's fetch: each hop recorded, and followed again in replay. */

const upstream = useUpstream();
const project = useProjects('redirects');

const FOLLOWS = `
test('follows', async () => {
  const response = await fetch(\`\${process.env.UPSTREAM_BASE.replace(/\\/v1$/, '')}/api/moved\`);
  expect([response.status, response.redirected, new URL(response.url).pathname]).toEqual([200, true, '/api/tags']);
  expect((await response.json()).models.length).toBeGreaterThan(0);
});
test('manual', async () => {
  const response = await fetch(\`\${process.env.UPSTREAM_BASE.replace(/\\/v1$/, '')}/api/moved\`, { redirect: 'manual' });
  expect([response.status, response.headers.get('location')]).toEqual([302, '/api/tags']);
});
`;

test('fetch follows a recorded redirect: each hop is its own recording, replayed with the server stopped', async () => {
  const p = project({ 'tests/moved.test.js': FOLLOWS });
  const recorded = await p.run({ RECORD: '1', UPSTREAM_BASE: upstream().baseURL });
  expect(statusOf(recorded)).toEqual({ follows: 'passed', manual: 'passed' });
  // The redirect in each test's folder; where it leads (Ollama's model list) in the shared folder.
  const files = p.files();
  expect(files.map((file) => file.split('/').slice(0, -1).join('/').replace(/-[0-9a-f]{8}$/, '')).sort()).toEqual([
    '_shared',
    'tests/moved.test.js/follows',
    'tests/moved.test.js/manual',
  ]);
  const responses = files.map((file) => JSON.parse(p.read(`recordings/${file}`)).response);
  expect(responses.map((response) => [response.status ?? 200, response.headers?.location])).toEqual([
    [200, undefined],
    [302, '/api/tags'],
    [302, '/api/tags'],
  ]);
  const replayed = await p.run({ UPSTREAM_BASE: 'http://127.0.0.1:9/v1' });
  expect(statusOf(replayed)).toEqual({ follows: 'passed', manual: 'passed' });
  expect(replayed.stderr).toMatch(/replay mode — 3 replayed, 0 recorded, 0 missing, 0 unused/);
});
