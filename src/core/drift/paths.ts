/**
 * Where a drift is, as the report prints it and `drift.ignore` takes it: dot-separated field names, with a
 * bracketed segment for what an array or a stream holds: `body.choices[].message.content` (any element of
 * `choices`), `body.content[tool_use].input` (its elements whose `type` is `tool_use`),
 * `events[response.completed].response.usage` (a stream's events of that kind), `tool_calls[get_weather].arguments.city`.
 * In an ignore path, `*` stands for any one segment and `**` for any number of them; a path ignores
 * everything under it too.
 */

/** A field name that cannot stand bare between dots is written as a bracketed JSON string: `["a.b"]`. */
const BARE_NAME = /^[^.[\]"]+$/;

/** A path from its segments: names joined by dots, bracketed segments (`[]`, `[kind]`) appended to the one before. */
export function joinPath(segments: readonly string[]): string {
  let path = '';
  for (const segment of segments) {
    if (segment.startsWith('[')) path += segment;
    else if (!BARE_NAME.test(segment)) path += `[${JSON.stringify(segment)}]`;
    else path += path === '' ? segment : `.${segment}`;
  }
  return path;
}

/** A bracketed segment: `[]` for any element, `[kind]` for elements or events of a kind. */
export const element = (kind = ''): string => `[${kind}]`;

/** A JSON string at the start of the text, escapes included. */
const QUOTED = /^"[^"\\]*(?:\\.[^"\\]*)*"/;

/** A bracketed JSON string's text, or undefined when it is not one. */
function quotedName(quoted: string): string | undefined {
  try {
    return JSON.parse(quoted) as string;
  } catch {
    return undefined;
  }
}

/** The segments of a path (`joinPath`'s inverse), or what is wrong with it. */
function parse(path: string): string[] | string {
  const segments: string[] = [];
  let name = '';
  // After a bracketed segment a dot may follow at once (`choices[].index`), after a name it must not (`a..b`).
  let afterBracket = false;
  for (let at = 0; at < path.length; at++) {
    const char = path[at];
    if (char !== '.' && char !== '[') {
      name += char;
      continue;
    }
    if (name !== '') segments.push(name);
    else if (char === '.' && !afterBracket) return 'has an empty segment';
    name = '';
    afterBracket = char === '[';
    if (char === '.') continue;
    const quoted = QUOTED.exec(path.slice(at + 1))?.[0];
    const end = path.indexOf(']', at + 1 + (quoted?.length ?? 0));
    if (end === -1) return 'has a [ without its ]';
    const quotedAlone = quoted !== undefined && end === at + 1 + quoted.length ? quotedName(quoted) : undefined;
    segments.push(quotedAlone ?? `[${path.slice(at + 1, end)}]`);
    at = end;
  }
  if (name !== '') segments.push(name);
  else if (!afterBracket) return path === '' ? 'is empty' : 'has an empty segment';
  return segments;
}

/** The segments of a valid path. */
export const pathSegments = (path: string): string[] => {
  const parsed = parse(path);
  return typeof parsed === 'string' ? [path] : parsed;
};

/** What is wrong with an ignore path, or undefined when it is valid. */
export function ignorePathProblem(path: string): string | undefined {
  const parsed = parse(path);
  if (typeof parsed === 'string') return `${JSON.stringify(path)} ${parsed}.`;
  if (parsed[parsed.length - 1] === '**') return `${JSON.stringify(path)} must not end with ** (end it with a field name or *).`;
  return undefined;
}

/** Whether the pattern's segments match the start of the path's (`*` one segment, `**` any number). */
function matchesStart(pattern: readonly string[], path: readonly string[]): boolean {
  if (pattern.length === 0) return true;
  const [head, ...rest] = pattern;
  if (head === '**') return path.some((_, skip) => matchesStart(rest, path.slice(skip))) || matchesStart(rest, []);
  if (path.length === 0) return false;
  return (head === '*' || head === path[0]) && matchesStart(rest, path.slice(1));
}

/** Whether a drift at `path` is left out by one of the ignore paths (valid ones: see `ignorePathProblem`). */
export function isIgnored(path: string, ignore: readonly string[]): boolean {
  const segments = pathSegments(path);
  return ignore.some((pattern) => matchesStart(pathSegments(pattern), segments));
}
