import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SearchServiceDefinition } from '@geosearch/generated';
import { ChannelCredentials } from '@grpc/grpc-js';
import { createChannel, createClient } from 'nice-grpc';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databaseEnv, startServerProcess, stopAllServers } from '../../../test/support/server-process.js';

/** A throwaway CA, a server certificate for 127.0.0.1 and a client certificate, made with openssl. */
function makeCertificates(): Record<'ca' | 'serverCert' | 'serverKey' | 'clientCert' | 'clientKey', string> {
  const dir = mkdtempSync(join(tmpdir(), 'geosearch-tls-'));
  const f = (name: string) => join(dir, name);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'ignore' });
  openssl(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '1',
    '-subj',
    '/CN=geosearch test CA',
    '-keyout',
    f('ca.key'),
    '-out',
    f('ca.pem'),
  );
  writeFileSync(f('server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  for (const who of ['server', 'client']) {
    openssl(
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-subj',
      `/CN=${who}`,
      '-keyout',
      f(`${who}.key`),
      '-out',
      f(`${who}.csr`),
    );
    openssl(
      'x509',
      '-req',
      '-in',
      f(`${who}.csr`),
      '-CA',
      f('ca.pem'),
      '-CAkey',
      f('ca.key'),
      '-CAcreateserial',
      '-days',
      '1',
      '-out',
      f(`${who}.pem`),
      ...(who === 'server' ? ['-extfile', f('server.ext')] : []),
    );
  }
  return {
    ca: f('ca.pem'),
    serverCert: f('server.pem'),
    serverKey: f('server.key'),
    clientCert: f('client.pem'),
    clientKey: f('client.key'),
  };
}

async function berlin(address: string, credentials: ChannelCredentials): Promise<string> {
  const channel = createChannel(address, credentials);
  try {
    const client = createClient(SearchServiceDefinition, channel);
    const page = await client.search(
      { point: { lat: 52.52, lng: 13.405 } },
      { signal: AbortSignal.timeout(5_000) },
    );
    return page.results[0]?.thing?.name ?? '';
  } finally {
    channel.close();
  }
}

const certs = makeCertificates();
const read = (path: string) => readFileSync(path);
afterAll(stopAllServers);

describe('TLS', () => {
  let address: string;
  beforeAll(async () => {
    const server = await startServerProcess({
      env: {
        ...(await databaseEnv('pglite')),
        GEOSEARCH_TLS_CERT_FILE: certs.serverCert,
        GEOSEARCH_TLS_KEY_FILE: certs.serverKey,
      },
    });
    address = server.address;
  });

  it('serves a client that trusts the CA and refuses plaintext', async () => {
    expect(await berlin(address, ChannelCredentials.createSsl(read(certs.ca)))).toBe('Germany');
    await expect(berlin(address, ChannelCredentials.createInsecure())).rejects.toThrow();
  });
});

describe('mutual TLS', () => {
  let address: string;
  beforeAll(async () => {
    const server = await startServerProcess({
      env: {
        ...(await databaseEnv('pglite')),
        GEOSEARCH_TLS_CERT_FILE: certs.serverCert,
        GEOSEARCH_TLS_KEY_FILE: certs.serverKey,
        GEOSEARCH_TLS_CLIENT_CA_FILE: certs.ca,
      },
    });
    address = server.address;
  });

  it('serves a client with a certificate the CA signed and refuses one without', async () => {
    const withCert = ChannelCredentials.createSsl(
      read(certs.ca),
      read(certs.clientKey),
      read(certs.clientCert),
    );
    expect(await berlin(address, withCert)).toBe('Germany');
    await expect(berlin(address, ChannelCredentials.createSsl(read(certs.ca)))).rejects.toThrow();
  });
});
