import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { childEnv } from '../support/fixture';
import { startUpstream } from '../support/upstream';

/**
 * The packed tarball as users install it: `npm pack`, then a fresh project (outside this repository, so nothing
 * resolves from its node_modules) per package manager, where adding jest-replay beside Jest prints no warning the same
 * install of Jest alone does not print, and the preset records through `fetch` and `node:http`, then replays with the
 * server stopped. npm gets Jest 29 (and must hold no Jest 30 package), pnpm and Yarn Plug'n'Play Jest 30. pnpm and Yarn
 * come from the npm registry, installed once under node_modules/.cache.
 */
const REPO = path.resolve(__dirname, '..', '..');
const TOOLS = path.join(REPO, 'node_modules', '.cache', 'jest-replay-pack-tools');
const PNPM = path.join(TOOLS, 'node_modules', 'pnpm', 'bin', 'pnpm.cjs');
const YARN = path.join(TOOLS, 'node_modules', '@yarnpkg', 'cli-dist', 'bin', 'yarn.js');
const node = process.execPath;

interface Ran {
  status: number | null;
  stdout: string;
  /** stdout and stderr. */
  output: string;
}
/** Runs a command to its end without blocking this process, where the loopback server answers. */
function run(command: string, args: string[], cwd: string, env: Record<string, string | undefined> = {}): Promise<Ran> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd, env: childEnv({ YARN_ENABLE_TELEMETRY: '0', ...env }), timeout: 300_000 });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', (error) => (stderr += error.message));
    child.on('close', (status) => resolve({ status, stdout, output: `${stdout}${stderr}` }));
  });
}

/** What a package manager prints as a warning, without decoration or timings (to compare two installs). */
function warnings(output: string): string[] {
  const lines = output.split('\n').map((line) => line.replace(/[│╭╮╰╯─➤]/g, '').replace(/\s+/g, ' ').trim());
  const summary = /^YN0(000|085|013):/;
  const warning = (line: string) => /\bwarn/i.test(line) || /^YN0\d{3}:/.test(line) || /Ignored build scripts/.test(line);
  return lines.filter((line) => warning(line) && !summary.test(line));
}

interface Manager {
  name: string;
  jest: string;
  /** The command that adds dev dependencies. */
  add(specs: string[]): [string, string[]];
  /** The command that runs a package's bin (`jest`) or a file with Node, as the project's own. */
  exec(args: string[]): [string, string[]];
  tarballSpec(tarball: string): string;
  setup?(dir: string): void;
}

const MANAGERS: Manager[] = [
  {
    name: 'npm',
    jest: '29',
    add: (specs) => ['npm', ['install', '-D', '--no-audit', '--no-fund', ...specs]],
    exec: (args) => (args[0] === 'node' ? [node, args.slice(1)] : ['npx', args]),
    tarballSpec: (tarball) => tarball,
  },
  {
    name: 'pnpm',
    jest: '30',
    add: (specs) => [node, [PNPM, 'add', '-D', ...specs]],
    exec: (args) => [node, [PNPM, 'exec', ...args]],
    tarballSpec: (tarball) => `file:${tarball}`,
  },
  {
    name: "Yarn Plug'n'Play",
    jest: '30',
    add: (specs) => [node, [YARN, 'add', '-D', ...specs]],
    exec: (args) => [node, [YARN, ...args]],
    tarballSpec: (tarball) => `jest-replay@file:${tarball}`,
    setup: (dir) => {
      const registry = spawnSync('npm', ['config', 'get', 'registry'], { encoding: 'utf8' }).stdout.trim();
      fs.writeFileSync(path.join(dir, '.yarnrc.yml'), `nodeLinker: pnp\nnpmRegistryServer: "${registry}"\nenableTelemetry: false\n`);
      fs.writeFileSync(path.join(dir, 'yarn.lock'), '');
    },
  },
];

const TEST = `
const http = require('node:http');
const post = (url, body) => new Promise((resolve, reject) => {
  const request = http.request(url, { method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
    let text = '';
    res.on('data', (d) => (text += d));
    res.on('end', () => resolve(JSON.parse(text)));
  });
  request.on('error', reject);
  request.end(JSON.stringify(body));
});
const chat = (content) => ({ model: 'gpt-4o', messages: [{ role: 'user', content }] });
test('fetch and node:http', async () => {
  const viaFetch = await fetch(process.env.UPSTREAM + '/v1/chat/completions', { method: 'POST', body: JSON.stringify(chat('fetch')) });
  expect((await viaFetch.json()).choices[0].message.content).toBe('echo: fetch');
  expect((await post(process.env.UPSTREAM + '/v1/chat/completions', chat('http'))).choices[0].message.content).toBe('echo: http');
});
`;

const CHECK_ESM = `
import ReplayEnvironment from 'jest-replay/environment';
import globalSetup from 'jest-replay/global-setup';
import globalTeardown from 'jest-replay/global-teardown';
import ReplayReporter from 'jest-replay/reporter';
console.log([ReplayEnvironment.name, globalSetup.name, globalTeardown.name, ReplayReporter.name].join(' '));
`;

let tarball: string;
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'jest-replay-pack-'));

beforeAll(async () => {
  const packed = await run('npm', ['pack', '--pack-destination', work, '--json'], REPO);
  expect(packed.status).toBe(0);
  tarball = path.join(work, JSON.parse(packed.stdout.slice(packed.stdout.indexOf('[')))[0].filename);
  if (!fs.existsSync(PNPM) || !fs.existsSync(YARN)) {
    fs.mkdirSync(TOOLS, { recursive: true });
    const versions = ['pnpm@10.34.9', '@yarnpkg/cli-dist@4.18.1'];
    const tools = await run('npm', ['install', '--prefix', TOOLS, '--no-audit', '--no-fund', ...versions], TOOLS);
    expect([tools.status, tools.output]).toEqual([0, expect.anything()]);
  }
});
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

describe.each(MANAGERS)('installed with $name (Jest $jest)', (manager) => {
  const dir = path.join(work, manager.name.replace(/\W/g, '-'));
  let baseline: Ran;
  let added: Ran;
  let record: Ran;
  let replay: Ran;
  let recorded: string[];

  beforeAll(async () => {
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'fresh-project', version: '1.0.0', private: true }));
    manager.setup?.(dir);
    baseline = await run(...manager.add([`jest@${manager.jest}`]), dir);
    added = await run(...manager.add([manager.tarballSpec(tarball)]), dir);
    fs.writeFileSync(path.join(dir, 'jest.config.js'), "module.exports = { preset: 'jest-replay' };\n");
    fs.mkdirSync(path.join(dir, 'tests'));
    fs.writeFileSync(path.join(dir, 'tests', 'api.test.js'), TEST);
    fs.writeFileSync(path.join(dir, 'check.mjs'), CHECK_ESM);
    const upstream = await startUpstream();
    try {
      record = await run(...manager.exec(['jest']), dir, { RECORD: '1', UPSTREAM: upstream.url });
    } finally {
      await upstream.close();
    }
    const entries = fs.readdirSync(path.join(dir, 'recordings'), { recursive: true, withFileTypes: true });
    recorded = entries.filter((e) => e.isFile()).map((e) => e.name);
    replay = await run(...manager.exec(['jest']), dir, { UPSTREAM: upstream.url });
  });

  test('adding jest-replay prints no warning beyond what installing Jest alone prints', () => {
    expect([baseline.status, added.status]).toEqual([0, 0]);
    const own = warnings(added.output).filter((line) => !warnings(baseline.output).includes(line));
    expect(own).toEqual([]);
    expect(warnings(added.output).filter((line) => /jest-replay|peer/i.test(line))).toEqual([]);
  });

  test('the preset records through fetch and node:http, then replays with the server stopped', () => {
    expect([record.status, record.output]).toEqual([0, expect.stringContaining('jest-replay: record mode')]);
    expect(recorded).toHaveLength(2);
    const summary = 'jest-replay: replay mode — 2 replayed, 0 recorded, 0 missing';
    expect([replay.status, replay.output]).toEqual([0, expect.stringContaining(summary)]);
  });

  test('ES modules get the environment, global setup and teardown and reporter themselves as default exports', async () => {
    const check = await run(...manager.exec(['node', 'check.mjs']), dir);
    expect([check.status, check.output.trim().split('\n').pop()]).toEqual([0, 'ReplayEnvironment globalSetup globalTeardown ReplayReporter']);
  });

  if (manager.name === 'npm') {
    test('Jest 29 users get no copy of Jest 30: every jest-environment-node is Jest 29’s', async () => {
      const ls = await run('npm', ['ls', 'jest-environment-node', '--all', '--json'], dir);
      const versions = [...ls.output.matchAll(/"jest-environment-node": \{\s*"version": "([^"]+)"/g)].map(([, v]) => v);
      expect(versions.length).toBeGreaterThan(0);
      expect(versions.filter((v) => !v.startsWith('29.'))).toEqual([]);
    });
  }
});
