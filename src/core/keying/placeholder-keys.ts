import { ReplayError, withoutStack } from '../errors';

/**
 * Replay needs no key, but the SDKs refuse to start without one: in a replay run each test file's environment gives
 * the variables the common TypeScript clients read their key from a placeholder, where they are unset. The
 * placeholder must never reach a real server, so a request carrying it that would leave the machine (a test's own
 * live or record mode) is refused.
 */

/**
 * openai (and the AI SDK's, LangChain's and the Agents SDK's OpenAI providers), @anthropic-ai/sdk, @google/genai
 * (GEMINI_API_KEY), the AI SDK's Google, Mistral, Groq, xAI and DeepSeek providers.
 */
export const KEY_VARIABLES = [
  'OPENAI_API_KEY',
  'ANTHROPIC_API_KEY',
  'GEMINI_API_KEY',
  'GOOGLE_GENERATIVE_AI_API_KEY',
  'MISTRAL_API_KEY',
  'GROQ_API_KEY',
  'XAI_API_KEY',
  'DEEPSEEK_API_KEY',
] as const;

export const PLACEHOLDER_KEY = 'jest-replay-placeholder-key';

/** The key variables that are unset (an empty one too: the SDKs read it as unset). */
export const unsetKeyVariables = (env: Record<string, string | undefined>): string[] =>
  KEY_VARIABLES.filter((name) => (env[name] ?? '').trim() === '');

/** Gives each unset key variable of `env` the placeholder; returns their names. */
export function setPlaceholderKeys(env: Record<string, string | undefined>): string[] {
  const unset = unsetKeyVariables(env);
  for (const name of unset) env[name] = PLACEHOLDER_KEY;
  return unset;
}

/** Whether a request carries the placeholder, in a header (`Authorization`, `x-api-key`…) or its URL (`?key=`). */
export function carriesPlaceholder(request: Request): boolean {
  if (request.url.includes(PLACEHOLDER_KEY)) return true;
  for (const [, value] of request.headers) if (value.includes(PLACEHOLDER_KEY)) return true;
  return false;
}

/** Why a request carrying the placeholder was not sent, and what to do. */
export const placeholderError = (request: string): Error =>
  withoutStack(
    new ReplayError(
      `jest-replay: ${request} was not sent: it carries jest-replay's placeholder key, which replay mode gives the SDKs' key ` +
        'variables (OPENAI_API_KEY, ANTHROPIC_API_KEY…) that are unset, and which must never reach a server. This test ' +
        "reaches the network (replay.live(), liveTest, replay.mode('record')…): set the real key in the environment jest " +
        'runs in, or pass it to the client; testEnvironmentOptions.replay.placeholderKeys: false turns placeholders off.',
    ),
  );
