import * as fs from 'node:fs';
import * as path from 'node:path';
import { eventClassOf, GENERIC_EVENT_CLASS, responseEventClass } from '../../src/core/recording/response-events';
import { snakeCase } from '../../src/core/recording/typed-values';

/** Every event of the openai SDK's `ResponseStreamEvent` union, by its `type`, with the interface (and Python class) that reads it. */
function sdkEvents(): [string, string][] {
  const types = fs.readFileSync(path.join(path.dirname(require.resolve('openai')), 'resources', 'responses', 'responses.d.ts'), 'utf8');
  const union = /export type ResponseStreamEvent = ([^;]+);/
    .exec(types)![1]
    .split('|')
    .map((name) => name.trim());
  return union.map((name) => [new RegExp(`export interface ${name} \\{[\\s\\S]*?\\n    type: '([^']+)';`).exec(types)![1], name]);
}

describe('Responses API stream events', () => {
  test('every event type the openai SDK knows is stored as its class, in the module named after it', () => {
    const events = sdkEvents();
    expect(events.length).toBeGreaterThanOrEqual(53);
    for (const [type, name] of events)
      expect([type, responseEventClass(type)]).toEqual([type, `openai.types.responses.${snakeCase(name)}.${name}`]);
  });

  test('a type no SDK knows is stored as the generic class', () => {
    expect(responseEventClass('response.vendor_note.added')).toBeUndefined();
    expect(eventClassOf('response.vendor_note.added')).toBe(GENERIC_EVENT_CLASS);
    expect(eventClassOf('response.reasoning_summary_text.delta')).toBe(
      'openai.types.responses.response_reasoning_summary_text_delta_event.ResponseReasoningSummaryTextDeltaEvent',
    );
  });
});
