import { spawnSync } from 'node:child_process';
import { FixtureProject, statusOf } from '../support/fixture';
import { startUpstream, type Upstream } from '../support/upstream';

/**
 * `jest-replay diff`: a project in its own git repository records, commits, re-records with a
 * changed prompt (so the upstream answers differently), and reviews the change as text.
 */
const TESTS = `
const post = (body) => fetch(process.env.UPSTREAM + '/v1/chat/completions', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }).then((r) => r.text());
const user = (content) => [{ role: 'user', content }];
describe('diff', () => {
  test('chat stream', () => post({ model: 'gpt-4o', stream: true, messages: user(process.env.PROMPT) }));
  test('plain chat', () => post({ model: 'gpt-4o', messages: user('plain question') }));
  test('same prompt elsewhere', () => post({ model: 'gpt-4o', stream: true, messages: user(process.env.PROMPT) }));
});
`;

/** Runs git in a project (which is its own repository), with an identity of its own. */
const gitIn = (project: FixtureProject) => (...args: string[]) => {
  const result = spawnSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', '-c', 'commit.gpgsign=false', ...args], { cwd: project.dir, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`git ${args.join(' ')}: ${result.stderr}`);
  return result.stdout;
};

/** Makes the project a repository holding its recordings as committed. */
function commitAll(git: ReturnType<typeof gitIn>) {
  git('init', '-q');
  git('add', '-A');
  git('commit', '-q', '-m', 'recorded');
}

/** Records the project's `tests` tests, all passing, with the prompt given. */
async function recordIn(project: FixtureProject, upstream: Upstream, prompt: string, tests: number) {
  const run = await project.run({ RECORD: '1', UPSTREAM: upstream.url, PROMPT: prompt });
  expect(Object.values(statusOf(run))).toEqual(Array(tests).fill('passed'));
}

describe('jest-replay diff', () => {
  const project = new FixtureProject('diff', { 'tests/diff.test.js': TESTS, '.gitignore': 'node_modules\nresults-*.json\n' });
  let upstream: Upstream;
  const git = gitIn(project);
  const record = (prompt: string) => recordIn(project, upstream, prompt, 3);
  const fileOf = (title: string) => `recordings/${project.files().find((f) => JSON.parse(project.read(`recordings/${f}`)).test_id === `tests/diff.test.js::diff::${title}`)}`;

  beforeAll(async () => {
    upstream = await startUpstream();
    await record('first question');
    commitAll(git);
  });
  afterAll(async () => {
    await upstream.close();
    project.remove();
  });

  test('nothing re-recorded: no changes', async () => {
    expect(await project.cli(['diff'])).toMatchObject({ code: 0, stdout: 'no changes: no recording differs from HEAD\n' });
  });

  test('a recording that differs only in ids and timestamps (as an older jest-replay wrote them) is no change', async () => {
    const file = fileOf('plain chat');
    const stored = project.read(file);
    const id = /"id": "(rec-[0-9a-f]{12})"/.exec(stored)![1];
    project.write(file, stored.replace(`"id": "${id}"`, '"id": "chatcmpl-4f8b0c1d2e3f"').replace('"created": 0', '"created": 1731000000'));
    try {
      const stdout = 'no changes: 1 recording differs from HEAD only in normalized ids and timestamps\n';
      expect(await project.cli(['diff'])).toMatchObject({ code: 0, stdout });
    } finally {
      project.write(file, stored);
    }
  });

  test('a re-recorded test: its old and new files paired, the old and new answer text shown (untracked files included)', async () => {
    const old = fileOf('chat stream');
    await record('second question');
    const renewed = fileOf('chat stream');
    expect(renewed).not.toBe(old);
    const { code, stdout } = await project.cli(['diff']);
    expect(code).toBe(0);
    expect(stdout).toContain(`tests/diff.test.js::diff::chat stream\n  changed  ${old} → ${renewed}\n    @@ `);
    expect(stdout).toContain('\n    -  echo: first question\n');
    expect(stdout).toContain('\n    +  echo: second question\n');
    expect(stdout).toContain('\n    -        "content": "first question"\n');
    expect(stdout).not.toContain('plain chat');
    expect(stdout.endsWith('\n2 recordings differ from HEAD: 2 changed, 0 added, 0 deleted\n')).toBe(true);
  });

  test('a change several recordings share is shown once, for the first; the others name it', async () => {
    const { stdout } = await project.cli(['diff']);
    const first = fileOf('chat stream');
    expect(stdout.match(/\+ {2}echo: second question/g)).toHaveLength(1);
    expect(stdout).toContain(`tests/diff.test.js::diff::same prompt elsewhere\n  changed  `);
    expect(stdout).toMatch(new RegExp(`same prompt elsewhere\n  changed  [^\n]+\n {4}@@ [^\n]+ @@ the same change as in ${first.replace(/\./g, '\\.')}\n`));
  });

  test('--markdown: for a pull-request comment', async () => {
    const { code, stdout } = await project.cli(['diff', '--markdown']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^### jest-replay: 2 recordings differ from `HEAD`: 2 changed, 0 added, 0 deleted\n\n\*\*`tests\/diff\.test\.js::diff::chat stream`\*\*\n\nchanged {2}`recordings\/[^`]+\.json` → `recordings\/[^`]+\.json`\n\n```diff\n@@ /);
    expect(stdout).toContain('\n-  echo: first question\n+  echo: second question\n');
    expect(stdout.endsWith('\n```\n')).toBe(true);
  });

  test('against an older revision, once committed; a file changed in place is compared with itself', async () => {
    git('add', '-A');
    git('commit', '-q', '-m', 're-recorded');
    expect((await project.cli(['diff'])).stdout).toBe('no changes: no recording differs from HEAD\n');
    expect((await project.cli(['diff', 'HEAD~1'])).stdout).toContain('\n    +  echo: second question\n');
    const plain = fileOf('plain chat');
    project.write(plain, project.read(plain).replace('"echo: plain question"', '"echo: an edited answer"'));
    const { stdout } = await project.cli(['diff']);
    expect(stdout).toContain(`tests/diff.test.js::diff::plain chat\n  changed  ${plain}\n    @@ `);
    expect(stdout).toContain('\n    -          "content": "echo: plain question",\n    +          "content": "echo: an edited answer",\n');
  });

  test('a revision that is not a commit is a usage error', async () => {
    const { code, stderr } = await project.cli(['diff', 'no-such-branch']);
    expect(code).toBe(2);
    expect(stderr).toContain('jest-replay diff: no-such-branch is not a commit of the git repository at ');
    expect(stderr).toContain('Usage: jest-replay diff [git-rev] [options]');
  });
});

describe('jest-replay diff --markdown with hostile recordings', () => {
  /** A title that Markdown would read as a heading, HTML, an @mention and a link, were it not code. */
  const TITLE = '## pwned\n\n<img src=x onerror=alert(1)> @octocat [click](https://evil.example) ```';
  const TESTS_40 = `
const post = (body) => fetch(process.env.UPSTREAM + '/v1/chat/completions', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }).then((r) => r.text());
test(${JSON.stringify(TITLE)}, async () => {
  for (let i = 0; i < 40; i++) await post({ model: 'gpt-4o', messages: [{ role: 'user', content: process.env.PROMPT + ' ' + i + ' ' + 'x'.repeat(3000) }] });
});
`;
  const project = new FixtureProject('diff-hostile', { 'tests/t.test.js': TESTS_40, '.gitignore': 'node_modules\nresults-*.json\n' });
  let upstream: Upstream;
  let markdown: string;
  const git = gitIn(project);
  const record = (prompt: string) => recordIn(project, upstream, prompt, 1);

  beforeAll(async () => {
    upstream = await startUpstream();
    await record('first');
    commitAll(git);
    await record('second');
    const { code, stdout } = await project.cli(['diff', '--markdown']);
    expect(code).toBe(0);
    markdown = stdout;
  });
  afterAll(async () => {
    await upstream.close();
    project.remove();
  });

  test('what comes from the recordings is code on one line: no heading, HTML, mention or link of its own', () => {
    expect(markdown).toContain('\n\n**```` tests/t.test.js::## pwned\\n\\n<img src=x onerror=alert(1)> @octocat [click](https://evil.example) ``` ````**\n\n');
    expect(markdown.split('\n').filter((line) => line.startsWith('#'))).toEqual([expect.stringMatching(/^### jest-replay: 40 recordings differ/)]);
  });

  test('cut under a pull-request comment, with a line saying how much was left out and how to see it all', () => {
    expect(markdown.length).toBeLessThanOrEqual(65_536 + 1);
    expect(markdown).toMatch(/\n\n\*Truncated to fit a pull-request comment: \d+ changes \(\d+ characters\) not shown\. See them all with `npx jest-replay diff HEAD`\.\*\n$/);
    const fences = markdown.split('\n').filter((line) => /^`{3,}(diff)?$/.test(line));
    expect(fences.length % 2).toBe(0);
  });
});
