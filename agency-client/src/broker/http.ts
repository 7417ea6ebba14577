import type {
  ErrorBody,
  MembershipResponse,
  RunResponse,
  SubmissionRequest,
  SubmissionResponse,
  TokenResponse,
} from '@blindlink/protocol';

/** A refusal or failure from the broker, carrying its protocol code. */
export class BrokerError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'BrokerError';
  }
}

export interface AgencyCredential {
  agency: string;
  secret: string;
}

/** The agency's side of the broker API. Holds a short-lived access token, fetched on first use. */
export class BrokerClient {
  #token: string | undefined;
  constructor(
    readonly baseUrl: string,
    readonly credential: AgencyCredential,
  ) {}

  async #call<T>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}, auth = true): Promise<T> {
    if (auth && !this.#token) await this.authenticate();
    let res: Response;
    try {
      res = await fetch(new URL(path, this.baseUrl), {
        method,
        headers: {
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...(auth ? { authorization: `Bearer ${this.#token}` } : {}),
          ...headers,
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    } catch (err) {
      throw new BrokerError(0, 'unreachable', `cannot reach the broker at ${this.baseUrl}: ${(err as Error).message}`);
    }
    const text = await res.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      throw new BrokerError(res.status, 'bad-response', `the broker answered ${res.status} with a body that is not JSON`);
    }
    if (!res.ok) {
      const e = (json as ErrorBody | undefined)?.error;
      throw new BrokerError(res.status, e?.code ?? 'unknown', e?.message ?? `HTTP ${res.status}`, e?.details);
    }
    return json as T;
  }

  async authenticate(): Promise<void> {
    const r = await this.#call<TokenResponse>('POST', '/v1/token', this.credential, {}, false);
    this.#token = r.accessToken;
  }

  submit(purpose: string, body: SubmissionRequest, idempotencyKey: string): Promise<SubmissionResponse> {
    return this.#call('POST', `/v1/purposes/${encodeURIComponent(purpose)}/submissions`, body, { 'idempotency-key': idempotencyKey });
  }

  startRun(purpose: string): Promise<RunResponse> {
    return this.#call('POST', `/v1/purposes/${encodeURIComponent(purpose)}/runs`);
  }

  membership(purpose: string, of: string): Promise<MembershipResponse> {
    return this.#call('POST', `/v1/purposes/${encodeURIComponent(purpose)}/releases/membership`, { of });
  }
}
