import { X509Certificate } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { request as httpsRequest, type Agent } from 'node:https';
import { join } from 'node:path';
import type {
  ClericalReviewResponse,
  ReviewLabelsRequest,
  ReviewLabelsResponse,
  CertificateResponse,
  ChunkResponse,
  SubmissionEnvelope,
  UploadStatus,
  ErrorBody,
  MembershipResponse,
  SubjectAccessRequest,
  SubjectAccessResponse,
  WithdrawalResponse,
  CorrectionBody,
  RunResponse,
  RunStatus,
  SubmissionRequest,
  SubmissionResponse,
  TokenResponse,
} from '@blindlink/protocol';
import { installClientCertificate, loadTlsIdentity, prepareEnrolment } from '../identity/identity-store.js';
import { AGENCY_SIGNING_SEED_FILE, loadOrCreateAgencySigningKey } from '../identity/signing-key.js';
import { sealSubmission } from '../identity/submission-envelope.js';
import { mtlsAgent } from '../identity/tls-client.js';
import { ReceiptStore } from './receipts.js';

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

/** The broker's public keys, saved at enrolment beside the agency's own keys. */
export const BROKER_KEYS_FILE = 'broker-keys.json';

type ResponseHeaders = Record<string, string | string[] | undefined>;

/** Reads the broker's public keys pinned at enrolment. */
function pinnedBrokerKeys(keyDir: string): { signingPublicKey: string; sealingPublicKey: string } {
  return JSON.parse(readFileSync(join(keyDir, BROKER_KEYS_FILE), 'utf8')) as {
    signingPublicKey: string;
    sealingPublicKey: string;
  };
}

/** Why a connection failed, in words (the system error code stays in brackets for whoever searches it). */
function unreachableReason(err: NodeJS.ErrnoException): string {
  const why: Record<string, string> = {
    ECONNREFUSED: 'connection refused (is it running, on that port?)',
    ENOTFOUND: 'no such host (DNS lookup failed)',
    EAI_AGAIN: 'DNS lookup failed for now',
    ETIMEDOUT: 'timed out',
    EHOSTUNREACH: 'no route to the host',
    ENETUNREACH: 'the network is unreachable',
    ECONNRESET: 'the connection was reset',
  };
  return err.code && why[err.code] ? `${why[err.code]} (${err.code})` : err.message;
}

/** Seconds of silence after which a request is given up as a dropped connection (and may be retried). */
const REQUEST_IDLE_TIMEOUT_MS = 120_000;

async function call<T>(
  agent: Agent,
  baseUrl: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
  onAnswer?: (headers: ResponseHeaders, status: number) => void,
): Promise<T> {
  const url = new URL(path, baseUrl);
  if (url.protocol !== 'https:')
    throw new BrokerError(0, 'not-https', `the broker URL must be https:// (got ${url.protocol})`);
  // Raw bytes (a sealed upload chunk) go as they are; anything else as JSON.
  const raw = body instanceof Uint8Array;
  const payload = body === undefined ? undefined : raw ? body : Buffer.from(JSON.stringify(body));
  const contentType = raw ? 'application/octet-stream' : 'application/json';
  const dropped = (err: Error) =>
    new BrokerError(0, 'unreachable', `the broker at ${baseUrl} could not be reached: ${unreachableReason(err)}`);
  const { status, text, responseHeaders } = await new Promise<{
    status: number;
    text: string;
    responseHeaders: ResponseHeaders;
  }>((resolve, reject) => {
    const req = httpsRequest(
      url,
      {
        method,
        agent,
        headers: {
          ...(payload ? { 'content-type': contentType, 'content-length': String(payload.length) } : {}),
          ...headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            text: Buffer.concat(chunks).toString('utf8'),
            responseHeaders: res.headers,
          }),
        );
        res.on('error', (err) => reject(dropped(err)));
        res.on('aborted', () => reject(dropped(new Error('the connection closed mid-answer'))));
      },
    );
    req.setTimeout(REQUEST_IDLE_TIMEOUT_MS, () =>
      req.destroy(new Error(`timed out: no answer for ${REQUEST_IDLE_TIMEOUT_MS / 1000} s`)),
    );
    req.on('error', (err) => reject(dropped(err)));
    req.end(payload);
  });
  // Before anything else: a receipt that fails to verify outranks whatever the answer says.
  onAnswer?.(responseHeaders, status);
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    throw new BrokerError(status, 'bad-response', `the broker answered ${status} with a body that is not JSON`);
  }
  if (status < 200 || status >= 300) {
    const e = (json as ErrorBody | undefined)?.error;
    throw new BrokerError(status, e?.code ?? 'unknown', e?.message ?? `HTTP ${status}`, e?.details);
  }
  return json as T;
}

/**
 * Enrol once: generate the TLS key and CSR and the Ed25519 signing key in `keyDir`, exchange the
 * one-time code for a client certificate, and pin the broker CA the operator handed over.
 */
export async function enrol(args: {
  baseUrl: string;
  keyDir: string;
  agency: string;
  code: string;
  caPem: string;
}): Promise<{ notAfter: Date }> {
  const req = await prepareEnrolment(args.keyDir, args.agency);
  const agent = mtlsAgent({ caPem: args.caPem });
  try {
    let answer: { headers: ResponseHeaders; status: number } = { headers: {}, status: 0 };
    const body = { agency: args.agency, code: args.code, csr: req.csrPem, signingPublicKey: req.signingPublicKey };
    const r = await call<CertificateResponse>(
      agent,
      args.baseUrl,
      'POST',
      '/v1/enrol',
      body,
      {},
      (headers, status) => (answer = { headers, status }),
    );
    const installed = installClientCertificate(args.keyDir, r.certificate, args.caPem);
    // The broker's audit key is pinned here, on first use, over TLS to the CA the operator handed over.
    writeFileSync(
      join(args.keyDir, BROKER_KEYS_FILE),
      JSON.stringify({ signingPublicKey: r.brokerSigningPublicKey, sealingPublicKey: r.brokerSealingPublicKey }) + '\n',
    );
    new ReceiptStore(args.keyDir, args.baseUrl, r.brokerSigningPublicKey).accept(answer.headers, answer.status);
    return installed;
  } finally {
    agent.destroy();
  }
}

/** The agency's side of the broker API, over mutual TLS with the enrolled certificate. */
export class BrokerClient {
  #token: string | undefined;
  readonly #agent: Agent;
  readonly #keyDir: string;
  #receipts: ReceiptStore | undefined;

  constructor(
    readonly baseUrl: string,
    keyDir: string,
  ) {
    this.#keyDir = keyDir;
    this.#agent = mtlsAgent(loadTlsIdentity(keyDir));
  }

  /** The broker's audit receipts, checked with the key pinned at enrolment and kept in the key dir. */
  get receipts(): ReceiptStore {
    this.#receipts ??= new ReceiptStore(this.#keyDir, this.baseUrl, pinnedBrokerKeys(this.#keyDir).signingPublicKey);
    return this.#receipts;
  }

  /** Answers so far that carried no audit receipt. */
  get missingReceipts(): number {
    return this.#receipts?.missing ?? 0;
  }

  async #authed<T>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<T> {
    if (!this.#token) await this.authenticate();
    try {
      return await call<T>(
        this.#agent,
        this.baseUrl,
        method,
        path,
        body,
        { authorization: `Bearer ${this.#token}`, ...headers },
        (h, s) => this.receipts.accept(h, s),
      );
    } catch (err) {
      // Access tokens last 15 minutes; a long upload outlives several. Renew once and try again.
      if (!(err instanceof BrokerError) || err.code !== 'token-expired') throw err;
      await this.authenticate();
      return call<T>(
        this.#agent,
        this.baseUrl,
        method,
        path,
        body,
        { authorization: `Bearer ${this.#token}`, ...headers },
        (h, s) => this.receipts.accept(h, s),
      );
    }
  }

  /** The broker's X25519 key, saved at enrolment: everything we upload is sealed to it. */
  brokerSealingKey(): string {
    return (JSON.parse(readFileSync(join(this.#keyDir, BROKER_KEYS_FILE), 'utf8')) as { sealingPublicKey: string })
      .sealingPublicKey;
  }

  /**
   * Our Ed25519 signing key, made at enrolment. Never made here: a new key is not the one the broker
   * registered, so everything signed with it would be refused.
   */
  signingKey() {
    const file = join(this.#keyDir, AGENCY_SIGNING_SEED_FILE);
    if (!existsSync(file))
      throw new Error(
        `the agency signing key ${file} is missing: "blindlink-agency enrol" makes it. ` +
          'Restore --key-dir from its backup, or ask the broker operator for a new enrolment code ' +
          '(blindlink-broker agency enrolment-code <agency>) and enrol again',
      );
    return loadOrCreateAgencySigningKey(this.#keyDir);
  }

  /** Chunked upload, step 1: the signed, sealed manifest (see upload/chunked.ts, which drives all four steps). */
  openUpload(purpose: string, manifest: SubmissionEnvelope, idempotencyKey: string): Promise<UploadStatus> {
    return this.#authed('POST', `/v1/purposes/${encodeURIComponent(purpose)}/uploads`, manifest, {
      'idempotency-key': idempotencyKey,
    });
  }

  uploadStatus(purpose: string, uploadId: string): Promise<UploadStatus> {
    return this.#authed('GET', `/v1/purposes/${encodeURIComponent(purpose)}/uploads/${encodeURIComponent(uploadId)}`);
  }

  putChunk(purpose: string, uploadId: string, n: number, sealed: Uint8Array): Promise<ChunkResponse> {
    return this.#authed(
      'PUT',
      `/v1/purposes/${encodeURIComponent(purpose)}/uploads/${encodeURIComponent(uploadId)}/chunks/${n}`,
      sealed,
    );
  }

  commitUpload(purpose: string, uploadId: string): Promise<SubmissionResponse> {
    return this.#authed(
      'POST',
      `/v1/purposes/${encodeURIComponent(purpose)}/uploads/${encodeURIComponent(uploadId)}/commit`,
    );
  }

  async authenticate(): Promise<void> {
    this.#token = (
      await call<TokenResponse>(this.#agent, this.baseUrl, 'POST', '/v1/token', undefined, {}, (h, s) =>
        this.receipts.accept(h, s),
      )
    ).accessToken;
  }

  /** Signed with our Ed25519 key and sealed to the broker's X25519 key before it leaves. */
  async submit(purpose: string, body: SubmissionRequest, idempotencyKey: string): Promise<SubmissionResponse> {
    const brokerKeys = pinnedBrokerKeys(this.#keyDir);
    const signing = await this.signingKey();
    const envelope = await sealSubmission(
      Buffer.from(JSON.stringify(body)),
      brokerKeys.sealingPublicKey,
      signing.secretKey,
    );
    return this.#authed('POST', `/v1/purposes/${encodeURIComponent(purpose)}/submissions`, envelope, {
      'idempotency-key': idempotencyKey,
    });
  }

  /** Corrected rows replacing some of our current submission's, signed and sealed as a submission is. */
  async correct(purpose: string, body: CorrectionBody): Promise<WithdrawalResponse> {
    const signing = await this.signingKey();
    const envelope = await sealSubmission(
      Buffer.from(JSON.stringify(body)),
      pinnedBrokerKeys(this.#keyDir).sealingPublicKey,
      signing.secretKey,
    );
    return this.#authed('POST', `/v1/purposes/${encodeURIComponent(purpose)}/corrections`, envelope);
  }

  /** 'full' relinks everything and re-fits the model; by default the broker continues the previous run when it can. */
  /** Queue a run: the broker answers at once (202) with the run id; a worker links it. */
  startRun(purpose: string, mode?: 'full' | 'auto'): Promise<RunResponse> {
    return this.#authed('POST', `/v1/purposes/${encodeURIComponent(purpose)}/runs`, mode ? { mode } : undefined);
  }

  runStatus(purpose: string, runId: string): Promise<RunStatus> {
    return this.#authed('GET', `/v1/purposes/${encodeURIComponent(purpose)}/runs/${encodeURIComponent(runId)}`);
  }

  /** Queue a run and wait for it to end: its final status. */
  async runAndWait(
    purpose: string,
    mode?: 'full' | 'auto',
    opts: { intervalMs?: number; onStatus?: (s: RunStatus) => void } = {},
  ): Promise<RunStatus> {
    const q = await this.startRun(purpose, mode);
    return this.waitForRun(purpose, q.runId, opts);
  }

  /** Poll a run's status until it has completed or failed; each status seen goes to onStatus. */
  async waitForRun(
    purpose: string,
    runId: string,
    opts: { intervalMs?: number; onStatus?: (s: RunStatus) => void } = {},
  ): Promise<RunStatus> {
    for (;;) {
      let s: RunStatus;
      try {
        s = await this.runStatus(purpose, runId);
      } catch (err) {
        // A long run outlasts the 15-minute access token: take a fresh one and go on.
        if (!(err instanceof BrokerError && err.code === 'token-expired')) throw err;
        await this.authenticate();
        continue;
      }
      opts.onStatus?.(s);
      if (s.status === 'completed' || s.status === 'failed') return s;
      await new Promise((r) => setTimeout(r, opts.intervalMs ?? 1000));
    }
  }

  /**
   * Renew our certificate: a new TLS key and CSR, sent over mutual TLS with the current certificate;
   * the broker revokes the old one. The new key replaces the old only once its certificate checks out.
   */
  async renew(): Promise<{ notAfter: Date }> {
    const current = new X509Certificate(loadTlsIdentity(this.#keyDir).certPem);
    const agency = /CN=([^\n,]+)/.exec(current.subject)?.[1];
    if (!agency) throw new BrokerError(0, 'bad-certificate', 'the current certificate names no agency');
    const req = await prepareEnrolment(this.#keyDir, agency);
    const r = await this.#authed<CertificateResponse>('POST', '/v1/certificates/renew', { csr: req.csrPem });
    return installClientCertificate(this.#keyDir, r.certificate, r.caCertificate);
  }

  /** Any other release form the policy grants us: pseudonym, family-criteria, aggregate, discrepancy. */
  release<T = Record<string, unknown>>(purpose: string, form: string, rule?: string): Promise<T> {
    return this.#authed(
      'POST',
      `/v1/purposes/${encodeURIComponent(purpose)}/releases/${encodeURIComponent(form)}`,
      rule ? { rule } : {},
    );
  }

  /** Clerical review: our most uncertain pairs of the latest run (docs/clerical-review.md). */
  clericalReview(purpose: string, rule?: string): Promise<ClericalReviewResponse> {
    return this.release<ClericalReviewResponse>(purpose, 'clerical-review', rule);
  }

  /** Our data officer's verdicts on pairs of our export. */
  reviewLabels(purpose: string, labels: ReviewLabelsRequest['labels']): Promise<ReviewLabelsResponse> {
    return this.#authed('POST', `/v1/purposes/${encodeURIComponent(purpose)}/review-labels`, { labels });
  }

  membership(purpose: string, of: string): Promise<MembershipResponse> {
    return this.#authed('POST', `/v1/purposes/${encodeURIComponent(purpose)}/releases/membership`, { of });
  }

  /** Subject access: what was done with the data of one resident we hold (docs/rights.md). */
  subjectAccess(purpose: string, request: SubjectAccessRequest): Promise<SubjectAccessResponse> {
    return this.#authed('POST', `/v1/purposes/${encodeURIComponent(purpose)}/subject-access`, request);
  }

  /** Withdraw rows of our current submission by their row tokens. */
  withdraw(purpose: string, tokens: string[]): Promise<WithdrawalResponse> {
    return this.#authed('POST', `/v1/purposes/${encodeURIComponent(purpose)}/withdrawals`, { tokens });
  }

  close(): void {
    this.#agent.destroy();
  }
}
