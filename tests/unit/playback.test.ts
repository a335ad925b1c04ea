import type { ReplayResponse } from '../../src/core/recording/codec';
import { replayedResponse } from '../../src/core/session/replay';

/** Pieces that count how many were made, and whether they were let go (a large recording's file closed). */
function countedPieces(count: number): { pieces: Iterable<string>; made: () => number; released: () => boolean } {
  let made = 0;
  let released = false;
  const pieces = {
    *[Symbol.iterator]() {
      try {
        for (let n = 0; n < count; n++) {
          made++;
          yield `data: {"n":${n}}\n\n`;
        }
      } finally {
        released = true;
      }
    },
  };
  return { pieces, made: () => made, released: () => released };
}

const plan = (pieces: Iterable<string>): ReplayResponse => ({ status: 200, headers: { 'content-type': 'text/event-stream' }, pieces });
const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('a replayed body', () => {
  test('makes each piece when the caller reads it, and none before', async () => {
    const counted = countedPieces(3);
    const response = replayedResponse(plan(counted.pieces), { request: new Request('http://x.test/') })!;
    await tick();
    expect(counted.made()).toBe(0);
    const reader = response.body!.getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toBe('data: {"n":0}\n\n');
    await tick();
    expect(counted.made()).toBe(1);
  });

  test('fails the next read with the abort reason, and lets go of its pieces', async () => {
    const counted = countedPieces(3);
    const controller = new AbortController();
    const response = replayedResponse(plan(counted.pieces), { request: new Request('http://x.test/', { signal: controller.signal }) })!;
    const reader = response.body!.getReader();
    await reader.read();
    const reason = new Error('the caller gave up');
    controller.abort(reason);
    await expect(reader.read()).rejects.toBe(reason);
    expect(counted.released()).toBe(true);
    expect(counted.made()).toBe(1);
  });

  test('reads to its end as one stream, then lets go of its pieces', async () => {
    const counted = countedPieces(3);
    const response = replayedResponse(plan(counted.pieces), { request: new Request('http://x.test/') })!;
    expect(await response.text()).toBe('data: {"n":0}\n\ndata: {"n":1}\n\ndata: {"n":2}\n\n');
    expect(counted.released()).toBe(true);
  });
});
