import { RecordingFileError } from '../errors';
import { isObject } from '../util/json';

/** The `{"__type__", "__data__"}` wrappers of a stored body, checked as llama-stack's loader will read them. */

const CLASS_PATH = /^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*\.[A-Z]\w*$/;
/** `ResponseTextDeltaEvent` → `response_text_delta_event`: the module an openai class lives in. */
export const snakeCase = (name: string) => name.replace(/(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])/g, '_').toLowerCase();

/**
 * Why a `__type__` names no class llama-stack's loader can import, if it does not: it must be a
 * `module.Class` path, and openai's classes live in a module named after them
 * (`openai.types.chat.chat_completion.ChatCompletion`), which catches hand-edited names.
 */
function classPathProblem(type: unknown): string | undefined {
  if (typeof type !== 'string' || !CLASS_PATH.test(type)) return 'it is not a Python class path (package.module.Class)';
  const [module, cls] = type.split('.').slice(-2);
  if (type.startsWith('openai.types.') && module !== snakeCase(cls)) {
    return `the openai package has no such class (its classes live in a module named after them: ${snakeCase(cls)}.${cls})`;
  }
  return undefined;
}

/** `classPathProblem` by type, each type judged once: a stream repeats one type in every chunk. */
const judgedTypes = new Map<string, string | undefined>();

function typeProblem(type: unknown): string | undefined {
  if (typeof type !== 'string') return classPathProblem(type);
  if (!judgedTypes.has(type)) judgedTypes.set(type, classPathProblem(type));
  return judgedTypes.get(type);
}

/** Checks one wrapper: the body itself, or (with `index`) the chunk `index` of a stream. */
export function checkTypedValue(item: unknown, index: number | undefined, file: string): void {
  if (!isObject(item) || !('__type__' in item)) return;
  const where = index === undefined ? 'response.body' : `response.body[${index}]`;
  const problem = typeProblem(item.__type__);
  if (problem) throw new RecordingFileError(file, `unknown "__type__" ${JSON.stringify(item.__type__)} at ${where}: ${problem}`);
  if (!('__data__' in item)) throw new RecordingFileError(file, `${where} has a "__type__" but no "__data__"`);
}

/** Checks the wrappers of a stored body: the body itself, or each chunk of a list. */
export function checkTypedValues(body: unknown, file: string): void {
  if (Array.isArray(body)) body.forEach((item, index) => checkTypedValue(item, index, file));
  else checkTypedValue(body, undefined, file);
}
