import { COMMENT_LIMIT, diffRecordings, formatDiffMarkdown, formatDiffText, type RecordingDiff } from '../../src/core/inspect/recording-diff';

const CHUNK = 'openai.types.chat.chat_completion_chunk.ChatCompletionChunk';

/** A recorded chat completion of `prompt` answered by `answer` (streamed when `stream`), as a file's text. */
function chat(testId: string | null, prompt: string, answer: string, { stream = false, endpoint = '/v1/chat/completions' } = {}): string {
  const request = { method: 'POST', url: `http://127.0.0.1:1${endpoint}`, headers: {}, body: { model: 'gpt-4o', messages: [{ role: 'user', content: prompt }] }, endpoint, model: 'gpt-4o' };
  const body = stream
    ? answer.split(' ').map((word, i) => ({ __type__: CHUNK, __data__: { choices: [{ index: 0, delta: { content: i === 0 ? word : ` ${word}` } }] } }))
    : { choices: [{ index: 0, message: { role: 'assistant', content: answer } }] };
  return JSON.stringify({ test_id: testId, request, response: { body, is_streaming: stream }, id_normalization_mapping: {} });
}

const FOLDER = 'recordings/tests/a.test.js/a_chat-12345678';

describe('pairing old and new recordings', () => {
  test('a file changed in place is compared with itself, as show prints it', () => {
    const file = `${FOLDER}/aaaa.json`;
    const [diff, ...rest] = diffRecordings([{ path: file, text: chat('a::chat', 'hi', 'old answer') }], [{ path: file, text: chat('a::chat', 'hi', 'new answer') }]);
    expect(rest).toEqual([]);
    expect(diff).toMatchObject({ kind: 'changed', title: 'a::chat', before: file, after: file });
    expect(diff.lines).toContain('-          "content": "old answer"');
    expect(diff.lines).toContain('+          "content": "new answer"');
    expect(diff.lines.filter((line) => /^[-+]/.test(line))).toHaveLength(2);
  });

  test('a deleted file is paired with the new file of the same test and endpoint nearest to its request', () => {
    const diffs = diffRecordings(
      [
        { path: `${FOLDER}/aaaa.json`, text: chat('a::chat', 'weather in Paris', 'rain', { stream: true }) },
        { path: `${FOLDER}/bbbb.json`, text: chat('a::chat', 'capital of France', 'Paris', { stream: true }) },
      ],
      [
        { path: `${FOLDER}/cccc.json`, text: chat('a::chat', 'capital of Italy', 'Rome', { stream: true }) },
        { path: `${FOLDER}/dddd.json`, text: chat('a::chat', 'weather in Paris', 'sunny and warm', { stream: true }) },
        { path: `${FOLDER}/eeee.json`, text: chat('a::chat', 'embed', '', { endpoint: '/v1/embeddings' }) },
        { path: 'recordings/tests/b.test.js/b-87654321/ffff.json', text: chat('b::chat', 'weather in Paris', 'fog', { stream: true }) },
      ],
    );
    expect(diffs.map((d) => [d.kind, d.before, d.after])).toEqual([
      ['changed', `${FOLDER}/aaaa.json`, `${FOLDER}/dddd.json`],
      ['changed', `${FOLDER}/bbbb.json`, `${FOLDER}/cccc.json`],
      ['added', undefined, `${FOLDER}/eeee.json`],
      ['added', undefined, 'recordings/tests/b.test.js/b-87654321/ffff.json'],
    ]);
    // A stream is compared as the text it adds up to, not chunk by chunk.
    expect(diffs[0].lines).toEqual(expect.arrayContaining(['-  rain', '+  sunny and warm']));
    expect(diffs[1].lines).toEqual(expect.arrayContaining(['-        "content": "capital of France"', '+        "content": "capital of Italy"', '-  Paris', '+  Rome']));
  });

  test('a deleted file with no new one of its test and endpoint stands alone; an unreadable file shows its problem', () => {
    const [deleted, broken] = diffRecordings([{ path: `${FOLDER}/aaaa.json`, text: chat(null, 'hi', 'there') }], [{ path: `${FOLDER}/bbbb.json`, text: '{"request": ' }]);
    expect(deleted).toMatchObject({ kind: 'deleted', title: '(no test id: shared model lists and session-level recordings)', after: undefined });
    expect(deleted.lines.every((line) => !line.startsWith('+'))).toBe(true);
    expect(broken).toMatchObject({ kind: 'added', title: `${FOLDER}/` });
    expect(broken.lines[1]).toMatch(/^\+unreadable: .*bbbb\.json.*invalid JSON/);
  });

  test('files that read alike but differ as stored are compared as stored', () => {
    const file = `${FOLDER}/aaaa.json`;
    const text = chat('a::chat', 'hi', 'there');
    const [diff] = diffRecordings([{ path: file, text }], [{ path: file, text: JSON.stringify(JSON.parse(text), null, 2) }]);
    expect(diff.lines.some((line) => line.startsWith('+  "test_id"'))).toBe(true);
  });
});

describe('diff output', () => {
  const file = `${FOLDER}/aaaa.json`;
  const one = () => diffRecordings([{ path: file, text: chat('a::chat', 'hi', 'old') }], [{ path: file, text: chat('a::chat', 'hi', 'new ``` fence') }]);

  test('text: the test id, the files, the indented diff lines, and a summary in the right number', () => {
    const text = formatDiffText(one(), 'HEAD');
    expect(text).toMatch(/^a::chat\n {2}changed {2}recordings\/tests\/a\.test\.js\/a_chat-12345678\/aaaa\.json\n {4}@@ -\d+,\d+ \+\d+,\d+ @@\n/);
    expect(text).toContain('\n    -          "content": "old"\n');
    expect(text.endsWith('\n1 recording differs from HEAD: 1 changed, 0 added, 0 deleted')).toBe(true);
    expect(formatDiffText([], 'main')).toBe('no changes: no recording differs from main');
  });

  test('markdown: a heading, the test id as code, and each diff in a fence its text cannot close', () => {
    const markdown = formatDiffMarkdown([...one(), ...one()], 'origin/main');
    expect(markdown.startsWith('### jest-replay: 2 recordings differ from `origin/main`: 2 changed, 0 added, 0 deleted\n\n**`a::chat`**\n\n')).toBe(true);
    expect(markdown).toContain(`changed  \`${file}\`\n\n\`\`\`\`diff\n@@ `);
    expect(markdown).toContain('+          "content": "new ``` fence"\n');
    expect(markdown.split('\n').filter((line) => line === '````')).toHaveLength(2);
  });

  test('markdown: cut to a pull-request comment, each block still closed, with a line saying what was left out', () => {
    const change = (i: number): RecordingDiff => ({
      kind: 'changed',
      title: `t::${i}`,
      before: `r/${i}.json`,
      after: `r/${i}.json`,
      lines: ['@@ -1,400 +1,400 @@', ...Array.from({ length: 400 }, (_, n) => `-  old line ${n} of change ${i} \`\`\``)],
    });
    const diffs = Array.from({ length: 40 }, (_, i) => change(i));
    const markdown = formatDiffMarkdown(diffs, 'main');
    expect(formatDiffMarkdown(diffs, 'main', 10 ** 9).length).toBeGreaterThan(COMMENT_LIMIT);
    expect(markdown.length).toBeLessThanOrEqual(COMMENT_LIMIT);
    expect(markdown.length).toBeGreaterThan(COMMENT_LIMIT - 1000);
    const fences = markdown.split('\n').filter((line) => /^`{4}(diff)?$/.test(line));
    expect(fences.length % 2).toBe(0);
    expect(markdown).toMatch(/\n\n\*Truncated to fit a pull-request comment: \d+ changes \(\d+ characters\) not shown\. See them all with `npx jest-replay diff main`\.\*$/);
    const shownChanges = markdown.split('\n').filter((line) => line.startsWith('changed  ')).length;
    expect(markdown).toContain(`: ${40 - shownChanges + 1} changes (`);
  });

  test('markdown: titles and paths are code, a base name too', () => {
    const markdown = formatDiffMarkdown([{ kind: 'added', title: '# not a heading <b>x</b> @someone `ticks`', after: 'r/[a](b).json', lines: [] }], 'a@b');
    expect(markdown).toContain('### jest-replay: 1 recording differs from `a@b`: 0 changed, 1 added, 0 deleted');
    expect(markdown).toContain('**`` # not a heading <b>x</b> @someone `ticks` ``**');
    expect(markdown).toContain('added  `r/[a](b).json`');
  });
});

describe('each change once, and none where only normalized fields differ', () => {
  test('a hunk several recordings share is shown for the first; the others name it in its header', () => {
    const folder = (test: string) => `recordings/tests/a.test.js/${test}-12345678`;
    const versions = (prompt: string) =>
      ['one', 'two', 'three'].map((test) => ({
        path: `${folder(test)}/aaaa.json`,
        text: chat(`a::${test}`, prompt, `answer for ${test}`),
      }));
    const diffs = diffRecordings(versions('the old system prompt'), versions('the new system prompt'));
    expect(diffs.map((diff) => diff.title)).toEqual(['a::one', 'a::three', 'a::two']);
    const [first, ...others] = diffs;
    expect(first.lines).toContain('-        "content": "the old system prompt"');
    for (const other of others) {
      const header = new RegExp(`^@@ -\\d+,\\d+ \\+\\d+,\\d+ @@ the same change as in ${folder('one')}/aaaa\\.json$`);
      expect(other.lines).toEqual([expect.stringMatching(header)]);
    }
    const text = formatDiffText(diffs, 'HEAD');
    expect(text.split('\n').filter((line) => line.includes('"the new system prompt"'))).toHaveLength(1);
    expect(text.endsWith('3 recordings differ from HEAD: 3 changed, 0 added, 0 deleted')).toBe(true);
  });

  test('a re-recording that changed only ids and timestamps (a new key included) is no change', () => {
    const recording = (callId: string, created: number, id: string) =>
      JSON.stringify({
        test_id: 'a::tools',
        request: {
          method: 'POST',
          url: 'http://127.0.0.1/v1/chat/completions',
          headers: {},
          body: { model: 'gpt-4o', messages: [{ role: 'tool', tool_call_id: callId, content: 'sunny' }] },
          endpoint: '/v1/chat/completions',
          model: 'gpt-4o',
        },
        response: {
          body: [{ __type__: 'openai.types.chat.chat_completion_chunk.ChatCompletionChunk', __data__: { id, created, choices: [] } }],
          is_streaming: true,
          headers: { 'x-request-id': `req_${id}` },
        },
        id_normalization_mapping: {},
      });
    const live = { path: `${FOLDER}/1111.json`, text: recording('call_4f8b0000aaaa', 1731000000, 'chatcmpl-AbCdEf123456') };
    const stored = { path: `${FOLDER}/2222.json`, text: recording('call_rec-0123456789ab-1', 0, 'rec-0123456789ab') };
    const diffs = diffRecordings([live], [stored]);
    expect(diffs).toEqual([expect.objectContaining({ kind: 'normalized', before: live.path, after: stored.path, lines: [] })]);
    expect(formatDiffText(diffs, 'HEAD')).toBe('no changes: 1 recording differs from HEAD only in normalized ids and timestamps');
    const edited = { path: `${FOLDER}/aaaa.json`, text: chat('a::chat', 'hi', 'new') };
    const mixed = [...diffs, ...diffRecordings([{ path: edited.path, text: chat('a::chat', 'hi', 'old') }], [edited])];
    const summary = '1 recording differs from HEAD: 1 changed, 0 added, 0 deleted; 1 more only in normalized ids and timestamps';
    expect(formatDiffText(mixed, 'HEAD').endsWith(summary)).toBe(true);
    expect(formatDiffMarkdown(mixed, 'HEAD')).not.toContain('1111.json');
    const otherApi = (id: string) => live.text.replaceAll('/v1/chat/completions', '/v1/customers').replace('chatcmpl-AbCdEf123456', id);
    const [changed] = diffRecordings([{ ...live, text: otherApi('cus_0123456789ab') }], [{ ...live, text: otherApi('cus_ba9876543210') }]);
    expect(changed.kind).toBe('changed');
  });
});
