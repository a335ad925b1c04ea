import { ask } from './ask';

test('transformed by @swc/jest', async () => {
  expect(await ask('@swc/jest')).toBe('echo: @swc/jest');
});
