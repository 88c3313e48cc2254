import { readFileSync } from 'node:fs';
import { ServerCredentials } from '@grpc/grpc-js';
import type { Config } from './config/schema.js';

/**
 * The listening credentials: plaintext by default; TLS when a certificate and
 * key are configured; mutual TLS when a client CA is configured too.
 */
export function serverCredentials(config: Config): ServerCredentials {
  if (!config.tls_cert_file && !config.tls_key_file) {
    if (config.tls_client_ca_file) throw new Error('tls_client_ca_file needs tls_cert_file and tls_key_file');
    return ServerCredentials.createInsecure();
  }
  if (!config.tls_cert_file || !config.tls_key_file) {
    throw new Error('TLS needs both tls_cert_file and tls_key_file');
  }
  const clientCa = config.tls_client_ca_file ? readFileSync(config.tls_client_ca_file) : null;
  return ServerCredentials.createSsl(
    clientCa,
    [{ cert_chain: readFileSync(config.tls_cert_file), private_key: readFileSync(config.tls_key_file) }],
    clientCa !== null,
  );
}
