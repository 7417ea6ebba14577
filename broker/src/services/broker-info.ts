import { type BrokerInfo, PROTOCOL_VERSION } from '@blindlink/protocol';
import type { ServiceDeps } from './deps.js';

/** The broker's CA certificate and public keys: what a new agency pins before it enrols. */
export function brokerInfo({ ca, keys }: Pick<ServiceDeps, 'ca' | 'keys'>): BrokerInfo {
  return {
    protocolVersion: PROTOCOL_VERSION,
    caCertificate: ca.certPem,
    signingPublicKey: keys.signingPublicKeyBase64,
    sealingPublicKey: keys.sealingPublicKeyBase64,
    keyId: keys.keyId,
  };
}
