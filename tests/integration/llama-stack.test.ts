import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { recordingSources } from '../../src/core/import';
import { FixtureProject, statusOf } from '../support/fixture';

/**
 * Interop: every real llama-stack recording in tests/fixtures/llama-stack-sample (copied from
 * llama-stack's own suite) is imported with the CLI, then replayed through the openai SDK from a
 * Jest test that sets the recording's pytest id and sends the request it holds.
 */
const REPO = path.resolve(__dirname, '..', '..');
const SAMPLE = path.join(REPO, 'tests', 'fixtures', 'llama-stack-sample');
const CLI = path.join(REPO, 'dist', 'cli', 'main.js');
const files = recordingSources([SAMPLE]);

/** One generated test per recording: the SDK call for its endpoint, and what it must return. */
function testFor(file: string): string {
  const data = JSON.parse(fs.readFileSync(file, 'utf8'));
  const name = path.basename(file).slice(0, 24);
  const endpoint: string = data.request.endpoint ?? new URL(data.request.url).pathname;
  const body = data.request.body ?? data.request.payload;
  const response = data.response;
  const unwrap = (v: { __data__?: unknown }) => (v && typeof v === 'object' && '__data__' in v ? v.__data__ : v);
  const setId = data.test_id ? `setTestId(${JSON.stringify(data.test_id)});` : '// no test_id: a session-level recording';
  let call: string;
  if (response.is_exception) {
    call = `const error = await client.chat.completions.create(${JSON.stringify(body)}).catch((e) => e);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect(error.status).toBe(${response.exception_data.status_code});
    expect(error.message).toContain(${JSON.stringify(response.exception_data.body.message)});`;
  } else if (endpoint === '/v1/models') {
    const ids = [...new Set(files.filter((f) => path.basename(f).startsWith('models-')).flatMap((f) => JSON.parse(fs.readFileSync(f, 'utf8')).response.body.map((m: { __data__: { id: string } }) => m.__data__.id)))].sort();
    call = `const ids = [];
    for await (const model of client.models.list()) ids.push(model.id);
    expect(ids).toEqual(${JSON.stringify(ids)}); // the lists of both servers, merged`;
  } else if (endpoint === '/api/ps') {
    call = `const response = await fetch('http://127.0.0.1:9/api/ps');
    expect(await response.json()).toEqual(${JSON.stringify(unwrap(response.body))});`;
  } else if (endpoint === '/v1/messages') {
    call = `const response = await fetch('http://127.0.0.1:9/v1/messages', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(${JSON.stringify(body)}) });
    expect(response.headers.get('content-type')).toBe('text/event-stream');
    expect(await response.text()).toBe(${JSON.stringify(response.body.map((l: string) => `${l}\n`).join(''))});`;
  } else {
    const method = { '/v1/chat/completions': 'chat.completions', '/v1/completions': 'completions', '/v1/embeddings': 'embeddings' }[endpoint];
    if (!method) throw new Error(`no SDK call for ${endpoint} in ${file}`);
    call = response.is_streaming
      ? `const chunks = [];
    for await (const chunk of await client.${method}.create(${JSON.stringify(body)})) chunks.push(chunk);
    expect(chunks).toEqual(${JSON.stringify(response.body.map(unwrap))});`
      : `expect(await client.${method}.create(${JSON.stringify(body)})).toEqual(${JSON.stringify(unwrap(response.body))});`;
  }
  return `test(${JSON.stringify(`${endpoint} ${name}`)}, async () => {
    ${setId}
    ${call}
  });\n`;
}

describe('llama-stack recordings', () => {
  const project = new FixtureProject('llama-stack', {
    'tests/sample.test.js': `const { default: OpenAI } = require('openai');
const { setTestId } = require('jest-replay');
const client = new OpenAI({ apiKey: 'not-needed', baseURL: 'http://127.0.0.1:9/v1', maxRetries: 0 });
${files.filter((f, i) => !path.basename(f).startsWith('models-') || files.findIndex((g) => path.basename(g).startsWith('models-')) === i).map(testFor).join('\n')}`,
  });
  afterAll(() => project.remove());

  test('the sample holds every shape the issue lists', () => {
    expect(files).toHaveLength(16);
  });

  test('import reports and handles every file of the sample', () => {
    const output = execFileSync(process.execPath, [CLI, 'import', SAMPLE], { cwd: project.dir, encoding: 'utf8' });
    expect(output).toContain('16 imported, 0 skipped');
    expect(output.match(/^imported /gm)).toHaveLength(16);
    // keyed by this project's key under the test id; model lists and session-level recordings shared
    expect(project.files().filter((f) => f.startsWith('_shared/models-'))).toHaveLength(2);
    expect(project.files()).toContainEqual(expect.stringMatching(/^tests\/integration\/responses\/test_tool_responses\.py\/test_response_non_streaming_multi_turn_tool_execution_c-[0-9a-f]{8}\/[0-9a-f]{16}\.json$/));
    // content unchanged
    for (const file of files) {
      const original = JSON.parse(fs.readFileSync(file, 'utf8'));
      const imported = project.files().map((f) => JSON.parse(project.read(path.join('recordings', f)))).filter((r) => JSON.stringify(r.response) === JSON.stringify(original.response));
      expect(imported).toHaveLength(1);
    }
  });

  test('every recording replays through the openai SDK under its pytest id', async () => {
    const run = await project.run();
    expect(run.tests).toHaveLength(16 - 1); // the two model lists are one merged request
    expect(Object.entries(statusOf(run)).filter(([, s]) => s !== 'passed')).toEqual([]);
    expect(run.code).toBe(0);
  });
});
