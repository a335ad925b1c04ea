import { ask } from './ask';

test('transformed by ts-jest', async () => {
  expect(await ask('ts-jest')).toBe('echo: ts-jest');
});
