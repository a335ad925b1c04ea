import type { ResolvedConfig } from '../config';
import type { Json } from '../util/json';
import { bodyForKey, isSharedEndpoint, requestKey } from '../keying/key';
import { thenIgnoring } from '../keying/match-ignore';
import { type BodyNormalizer, loadNormalizers } from '../keying/normalizers';
import { withoutBodyCredentials } from '../keying/body-credentials';
import { type RedactHook, redactRequest } from '../keying/redact';
import { publicUrl, readRequestBody, type RequestBody, substituteIds, substituteUrlIds } from '../keying/request';
import { type Credential, credentialsOf } from '../keying/secrets';
import { failTest } from './messages';
import type { TestScope } from './scope';

/** A request as it is stored (credentials out, recorded ids in, redacted) with what finds its recording. */
export interface KeyedRequest {
  /** Upper case. */
  method: string;
  url: URL;
  body: RequestBody;
  /** The body the key is made of: normalized, adjusted by the project's normalizers, without the fields `matchIgnore` names. */
  keyBody: Json;
  key: string;
  /** Which of the test's identical requests this is (1 on a shared endpoint, whose recordings are merged instead). */
  ordinal: number;
  /** A shared endpoint (model lists): recorded with no test id, replayed from the recordings of every test. */
  shared: boolean;
  /** The credentials the live request carried: left out of `url` and `body`, and searched for before its recording is written. */
  credentials: Credential[];
}

/** Makes a request's `KeyedRequest`: the one place that decides what a request is stored and found as. */
export class Identifier {
  /** The project's `normalizers`, loaded at the first request (global setup has already checked they load). */
  private normalizeBody?: BodyNormalizer;

  constructor(
    private readonly config: ResolvedConfig,
    /** The project's `redact` hook, loaded by the environment. */
    private readonly redact?: RedactHook,
  ) {}

  /** The request of `scope` keyed, or the refusal failing the test when the project's redact hook fails. */
  async identify(scope: TestScope, request: Request, bytes: Uint8Array | null): Promise<KeyedRequest | Response> {
    const contentType = request.headers.get('content-type') ?? '';
    // Body credentials are replaced before anything else sees the body: the redact hook, the key, the file.
    const { masked, found } = withoutBodyCredentials(await readRequestBody(bytes, contentType), contentType);
    const credentials = credentialsOf(request.url, request.headers, found);
    const live = {
      method: request.method.toUpperCase(),
      url: substituteUrlIds(publicUrl(request.url, credentials), scope.replacedIds),
      body: substituteIds(masked, scope.replacedIds),
    };
    let redacted: typeof live;
    try {
      redacted = this.redact ? redactRequest(this.redact, live) : live;
    } catch (error) {
      return failTest(scope, error as Error, `jest-replay: the redact hook failed for ${live.method} ${live.url.pathname}.`);
    }
    const { method, url, body } = redacted;
    const shared = isSharedEndpoint(method, url.pathname);
    const keyBody = this.keyNormalizer(scope)(bodyForKey(body), { method, path: url.pathname });
    const key = requestKey({ method, url, body: keyBody, testId: scope.testId });
    return { method, url, body, keyBody, key, ordinal: shared ? 1 : scope.nextOrdinal(key), shared, credentials };
  }

  /** What the key makes of a scope's normalized bodies: the project's normalizers, then without the fields `matchIgnore` names. */
  keyNormalizer(scope: TestScope): BodyNormalizer {
    this.normalizeBody ??= loadNormalizers(this.config.normalizers, this.config.rootDir);
    const normalize = this.normalizeBody;
    return thenIgnoring(normalize, [...this.config.matchIgnore, ...scope.matchIgnore]);
  }
}
