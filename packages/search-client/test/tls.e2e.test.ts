import { readFileSync, rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Certificates, makeCertificates } from '../../../test/support/certificates.js';
import {
  databaseEnv,
  e2eBackends,
  type ServerProcess,
  startServerProcess,
  stopAllServers,
} from '../../../test/support/server-process.js';
import { createSearchClient } from '../src/search-client.js';
import { runCli } from './support/run-cli.js';

afterAll(stopAllServers);

describe.each(e2eBackends)('TLS to the server binary on %s (mutual TLS)', (backend) => {
  let certs: Certificates;
  let server: ServerProcess;

  beforeAll(async () => {
    certs = makeCertificates();
    server = await startServerProcess({
      env: {
        ...(await databaseEnv(backend)),
        GEOSEARCH_TLS_CERT_FILE: certs.serverCert,
        GEOSEARCH_TLS_KEY_FILE: certs.serverKey,
        GEOSEARCH_TLS_CLIENT_CA_FILE: certs.ca,
      },
    });
  });
  afterAll(async () => {
    await server?.stop();
    if (certs) rmSync(certs.dir, { recursive: true, force: true });
  });

  it('the SDK connects with the CA and a client certificate, and fails without them', async () => {
    const read = (path: string) => readFileSync(path, 'utf8');
    const client = createSearchClient({
      targets: [server.address],
      tls: { ca: read(certs.ca), cert: read(certs.clientCert), key: read(certs.clientKey) },
    });
    const plaintext = createSearchClient({ targets: [server.address], retry: { maxAttempts: 1 } });
    const noCert = createSearchClient({
      targets: [server.address],
      tls: { ca: read(certs.ca) },
      retry: { maxAttempts: 1 },
    });
    try {
      const page = await client.search({ point: { lat: 52.52, lng: 13.405 } });
      expect(page.results[0]?.thing.name).toBe('Germany');
      await expect(plaintext.monitor()).rejects.toMatchObject({
        name: 'SearchClientError',
        code: 'unavailable',
      });
      await expect(noCert.monitor()).rejects.toMatchObject({
        name: 'SearchClientError',
        code: 'unavailable',
      });
    } finally {
      await Promise.all([client.close(), plaintext.close(), noCert.close()]);
    }
  });

  it('the CLI connects with --ca, --cert and --key, and exits 4 without a certificate', async () => {
    const ok = await runCli([
      'search',
      '--lat',
      '52.52',
      '--lng',
      '13.405',
      '--target',
      server.address,
      '--ca',
      certs.ca,
      '--cert',
      certs.clientCert,
      '--key',
      certs.clientKey,
      '--json',
    ]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(JSON.parse(ok.stdout).results[0].thing.name).toBe('Germany');
    const refused = await runCli(['monitor', '--target', server.address, '--ca', certs.ca]);
    expect(refused.code).toBe(4);
    const half = await runCli(['monitor', '--target', server.address, '--cert', certs.clientCert]);
    expect(half.code).toBe(2);
    expect(half.stderr).toMatch(/--key: is required with the other/);
  });
});
