import * as fs from 'node:fs';
import * as path from 'node:path';
import { recordingSources } from '../../src/core/inspect/import';
import { llamaStackLoaderProblems } from './llama-stack-loader';

// The checker used by the round-trip tests must accept what llama-stack itself wrote...
const sample = recordingSources([path.join(__dirname, '..', 'fixtures', 'llama-stack-sample')]).filter((f) =>
  // ...except what its own loader could not rebuild: old files without `endpoint`/`model`, the raw /v1/messages shape.
  JSON.parse(fs.readFileSync(f, 'utf8')).request.endpoint !== undefined,
);

test.each(sample.map((f) => [path.basename(f).slice(0, 16), f]))('accepts llama-stack file %s', (_, file) => {
  expect(llamaStackLoaderProblems(fs.readFileSync(file, 'utf8'))).toEqual([]);
});

// ...and what was written by hand for the kinds the sample lacks.
const kinds = recordingSources([path.join(__dirname, '..', 'fixtures', 'llama-stack-kinds')]);

test.each(kinds.map((f) => [path.basename(f).slice(0, 16), f]))('accepts the per-kind fixture %s', (_, file) => {
  expect(llamaStackLoaderProblems(fs.readFileSync(file, 'utf8'))).toEqual([]);
});

test('...and reject what would not load into the Python types', () => {
  const file = sample.find((f) => f.includes('1f6d3214'))!;
  const data = JSON.parse(fs.readFileSync(file, 'utf8'));
  delete data.response.body.__data__.created;
  data.response.body.__data__.choices[0] = { index: 0 };
  expect(llamaStackLoaderProblems(JSON.stringify(data))).toEqual([
    'response.body: openai.types.chat.chat_completion.ChatCompletion lacks required field created',
    'response.body.choices[0]: lacks finish_reason',
    'response.body.choices[0]: lacks message',
  ]);
  data.response.body.__type__ = 'openai.types.chat.NoSuchThing';
  expect(llamaStackLoaderProblems(JSON.stringify(data))).toContain('response.body: no Python class openai.types.chat.NoSuchThing');
});
