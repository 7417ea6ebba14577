import { Agent } from 'node:https';

/**
 * Client-side TLS for talking to the broker with the agency's certificate (mutual TLS), trusting only
 * the pinned broker CA rather than the system store.
 *
 * The options suit both node:https (`new https.Agent(opts)`, used by mtlsAgent) and undici
 * (`new Agent({ connect: opts })`, passed to fetch as `dispatcher`). Node 20's global fetch cannot be
 * given a client certificate without importing undici, which is not a declared dependency of this
 * package, so the client uses node:https.
 */
export function tlsAgentOptions(material: { caPem: string; certPem?: string; keyPem?: string }) {
  if ((material.certPem === undefined) !== (material.keyPem === undefined))
    throw new Error('a client certificate needs its private key, and the other way round');
  return {
    ca: [material.caPem],
    ...(material.certPem !== undefined ? { cert: material.certPem, key: material.keyPem } : {}),
    minVersion: 'TLSv1.2' as const,
    rejectUnauthorized: true,
  };
}

/** A keep-alive https.Agent presenting the agency certificate and trusting only the broker CA. */
export function mtlsAgent(material: { caPem: string; certPem?: string; keyPem?: string }): Agent {
  return new Agent({ ...tlsAgentOptions(material), keepAlive: true });
}
