import { isObject, parseJson } from '../util/json';

/**
 * What a server makes anew on every call, whatever the request: the ids it mints and its clock.
 * Stored in a form made from the recording's key and the id's position, so recording the same
 * traffic twice writes the same bytes; and mapped back, so a later request that sends such an id
 * (a tool call's id, a `previous_response_id`) is keyed and stored with the stored form, in record
 * and in replay alike.
 */

/** Fields whose string value is an id the server minted, at any depth of a response (and its request-id headers). */
const ID_FIELDS = new Set([
  'id',
  'item_id',
  'call_id',
  'response_id',
  'previous_response_id',
  'tool_call_id',
  'tool_use_id',
  'request_id',
  'x-request-id',
  'request-id',
]);
/** What every id becomes when volatile fields are masked, to compare two recordings but for them. */
const MASKED_ID = '<id>';
/** Fields holding a moment: epoch seconds (a number) or an ISO 8601 string. */
const TIMESTAMP_FIELDS = new Set(['created', 'created_at', 'completed_at', 'expires_at']);
/** Ollama's timings, in nanoseconds. */
const DURATION_FIELDS = ['total_duration', 'load_duration', 'prompt_eval_duration', 'eval_duration'];
export const EPOCH_TEXT = '1970-01-01T00:00:00.000000Z';
const DATE_TEXT = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}/;

/**
 * The LLM API endpoints (OpenAI-compatible, Anthropic, Ollama) whose answers carry ids and timestamps
 * minted per call. Other APIs' JSON keeps its ids as it came: a customer's `cus_…` is the same on every
 * run, and a test may check it.
 */
const LLM_PATHS = ['chat/completions', 'completions', 'embeddings', 'moderations', 'messages', 'responses(/[^/]+)*'];
const LLM_ENDPOINT = new RegExp(`/(${LLM_PATHS.join('|')})$|^/api/(chat|generate|embed|embeddings)$`);

/** Whether the untyped JSON and raw stream lines of an endpoint's responses are normalized (typed objects always are). */
export const mintsIds = (endpoint: string) => LLM_ENDPOINT.test(endpoint);

/** What a typed object's own `id` becomes, as llama-stack stores it: `rec-` and 12 hex digits of the key. */
export const normalizedId = (key: string) => `rec-${key.slice(0, 12)}`;

/**
 * Shorter ids are not minted by a server at random (`"1"`, a name): they are kept, and never mapped
 * back, which would rewrite every `1` of a later request.
 */
const MIN_ID_LENGTH = 8;

/** The prefix clients may check (`call_`, `fc_`, `toolu_`, `msg_`, `modr-`), kept by the stored form. */
const prefixOf = (id: string) => /^[A-Za-z]+[_-]/.exec(id)?.[0] ?? '';

type JsonObject = Record<string, unknown>;

export interface VolatileContext {
  key: string;
  /** Which of the test's identical requests the response answers (1 when absent). */
  ordinal?: number;
  /** The test file's ids so far, as received → as stored; `commit()` adds this response's. */
  replacedIds: Map<string, string>;
  /** Strings the request itself sent: a response that repeats one (its `metadata`, a prompt id) repeats the app's value. */
  sent?: ReadonlySet<string>;
}

/** One replaced value: a raw line's text is edited by these, so its other bytes stay as they came. */
interface Change {
  field: string;
  from: string | number;
  to: string | number;
}

/**
 * The volatile fields of one response, normalized: an id the test file has seen becomes its stored
 * form wherever it appears; a new id under an id field becomes `<prefix>rec-<key12>-<n>` (n counts
 * the response's ids in order; `-<ordinal>` comes before it for a repeated identical request); a
 * timestamp becomes 0 or the epoch. Walking the same response again gives the same result.
 */
export class VolatileFields {
  private readonly minted = new Map<string, string>();
  /** Ids minted so far (a typed object's own id is not one: it is `rec-<key12>`). */
  private positions = 0;

  constructor(
    private readonly context: VolatileContext,
    /** The stored form of the id met at `position`; by default `<prefix>rec-<key12>[-<ordinal>]-<position>`. */
    private readonly storedForm = (id: string, position: number) => {
      const { key, ordinal = 1 } = context;
      return `${prefixOf(id)}${normalizedId(key)}${ordinal > 1 ? `-${ordinal}` : ''}-${position}`;
    },
  ) {}

  /** Every id as `<id>` and every timestamp as 0 or the epoch: what two recordings differ in when only these differ. */
  static masking(): VolatileFields {
    return new VolatileFields({ key: '', replacedIds: new Map() }, () => MASKED_ID);
  }

  /** A typed OpenAI or Ollama object: its own `id` becomes `rec-<key12>`, `created` 0 and Ollama's durations 0 (model objects keep all). */
  typed(value: JsonObject): JsonObject {
    if (value.object === 'model') return value;
    const own = typeof value.id === 'string' && this.known(value.id) === undefined ? value.id : undefined;
    if (own !== undefined && own.length >= MIN_ID_LENGTH) this.minted.set(own, normalizedId(this.context.key));
    const out = this.json(value) as JsonObject;
    if (own !== undefined) out.id = normalizedId(this.context.key);
    if ('created' in out) out.created = 0;
    for (const field of DURATION_FIELDS) if (typeof out[field] === 'number') out[field] = 0;
    return out;
  }

  /** Any JSON value with its ids and timestamps normalized. */
  json(value: unknown): unknown {
    return this.walk(value, undefined);
  }

  /** A raw SSE line: the ids and timestamps in its `data:` JSON are replaced in its text, every other byte kept. */
  line(text: string): string {
    const prefix = /^data: ?/.exec(text)?.[0];
    const parsed = prefix === undefined ? undefined : parseJson(text.slice(prefix.length));
    if (!parsed || typeof parsed.value !== 'object' || parsed.value === null) return text;
    const changes: Change[] = [];
    this.walk(parsed.value, undefined, changes);
    return changes.reduce((line, change) => replaceIn(line, change), text);
  }

  /** Makes this response's ids known to the test file's later requests and responses. */
  commit(): void {
    for (const [received, stored] of this.minted) this.context.replacedIds.set(received, stored);
  }

  private known(value: string): string | undefined {
    return this.context.replacedIds.get(value) ?? this.minted.get(value);
  }

  private walk(value: unknown, field: string | undefined, changes?: Change[]): unknown {
    let out: unknown = value;
    if (typeof value === 'string') out = this.text(value, field);
    else if (typeof value === 'number') out = field !== undefined && TIMESTAMP_FIELDS.has(field) ? 0 : value;
    else if (Array.isArray(value)) return value.map((item) => this.walk(item, undefined, changes));
    else if (isObject(value)) {
      // A model's `id` is its name and its `created` a release date: neither changes.
      if (value.object === 'model') return value;
      return Object.fromEntries(Object.entries(value).map(([name, item]) => [name, this.walk(item, name, changes)]));
    }
    if (out !== value) changes?.push({ field: field ?? '', from: value as string | number, to: out as string | number });
    return out;
  }

  private text(value: string, field: string | undefined): string {
    const known = this.known(value);
    if (known !== undefined) return known;
    if (field === undefined || this.context.sent?.has(value)) return value;
    if (ID_FIELDS.has(field)) return value.length >= MIN_ID_LENGTH ? this.mint(value) : value;
    return TIMESTAMP_FIELDS.has(field) && DATE_TEXT.test(value) ? EPOCH_TEXT : value;
  }

  private mint(value: string): string {
    const stored = this.storedForm(value, ++this.positions);
    this.minted.set(value, stored);
    return stored;
  }
}

/** A string anywhere in the line as a JSON string; a number as the value of its field. */
function replaceIn(line: string, { field, from, to }: Change): string {
  if (typeof from === 'string') return line.split(JSON.stringify(from)).join(JSON.stringify(to));
  return line.replace(new RegExp(`("${field}"\\s*:\\s*)${from}(?![\\d.eE])`, 'g'), `$1${to}`);
}

/** The strings of a request body, for `VolatileContext.sent`. */
export function stringsIn(value: unknown, into = new Set<string>()): Set<string> {
  if (typeof value === 'string') into.add(value);
  else if (Array.isArray(value)) for (const item of value) stringsIn(item, into);
  else if (isObject(value)) for (const item of Object.values(value)) stringsIn(item, into);
  return into;
}
