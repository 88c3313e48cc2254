import { readFileSync } from 'node:fs';
import { SearchServiceDefinition } from '@geosearch/generated';
import { ChannelCredentials } from '@grpc/grpc-js';
import { createChannel, createClient } from 'nice-grpc';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeCertificates } from '../../../test/support/certificates.js';
import { databaseEnv, startServerProcess, stopAllServers } from '../../../test/support/server-process.js';

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
