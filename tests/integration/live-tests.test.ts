import { statusOf } from '../support/fixture';
import { useProjects, useUpstream } from '../support/lifecycle';
import { OPENAI_CLIENT, askTest } from '../support/snippets';

/**
 * Live tests in CI: `liveTest` defines a test that always runs live, and is skipped (said in the summary) in a CI run
 * that replays, where going live is refused; the summary lists the requests that went live and those left alone
 * because of `ignoreHosts`.
 */

const upstream = useUpstream();
const project = useProjects('live-tests');
const requestsTo = (content: string) => upstream().requests.filter((r) => r.body.includes(JSON.stringify(content))).length;
const SMOKE_ID = 'tests/smoke.test.js::smoke: the real API answers';

const TESTS = `${OPENAI_CLIENT}const { liveTest } = require('jest-replay');
liveTest('smoke: the real API answers', async () => {
  expect(await ask('live smoke')).toBe('echo: live smoke');
});
${askTest('replayed', 'replayed')}
test('own app', async () => {
  // The app under test, on a host in ignoreHosts: neither recorded nor replayed.
  expect((await fetch(process.env.APP_URL + '/v1/models')).status).toBe(200);
});
`;

test('liveTest runs live and is listed; a CI replay run skips it and says so; ignoreHosts requests are listed', async () => {
  const app = `localhost:${new URL(upstream().url).port}`;
  const p = project({ 'tests/smoke.test.js': TESTS }, { testEnvironmentOptions: { replay: { ignoreHosts: [app] } } });
  const env = { UPSTREAM_BASE: upstream().baseURL, APP_URL: `http://${app}` };
  const wentLive = `  went live: POST ${upstream().baseURL}/chat/completions (${SMOKE_ID})`;
  const leftAlone = `  left alone (ignoreHosts): ${app} (1 request)`;

  const recorded = await p.run({ ...env, RECORD: '1' });
  expect(statusOf(recorded)).toEqual({ 'smoke: the real API answers': 'passed', replayed: 'passed', 'own app': 'passed' });
  // Live: sent, never recorded.
  expect(requestsTo('live smoke')).toBe(1);
  expect(p.files()).toHaveLength(1);
  expect(recorded.stderr).toContain(`${wentLive}\n`);
  expect(recorded.stderr).toContain(`${leftAlone}\n`);

  const ci = await p.run({ ...env, CI: 'true' });
  expect(ci.code).toBe(0);
  expect(statusOf(ci)).toEqual({ 'smoke: the real API answers': 'pending', replayed: 'passed', 'own app': 'passed' });
  expect(requestsTo('live smoke')).toBe(1);
  expect(ci.stderr).toContain(`  skipped, runs live (this CI run replays): ${SMOKE_ID}\n`);
  expect(ci.stderr).not.toContain('went live');
  expect(ci.stderr).toContain(`${leftAlone}\n`);
  // Skipped, its test keeps nothing: it records nothing.
  expect(ci.stderr).toMatch(/^jest-replay: replay mode — 1 replayed, 0 recorded, 0 missing, 0 unused /m);

  // Outside CI a replay run sends it: that is what it is for.
  const local = await p.run(env);
  expect(statusOf(local)['smoke: the real API answers']).toBe('passed');
  expect(requestsTo('live smoke')).toBe(2);
  expect(local.stderr).toContain(`${wentLive}\n`);
});
