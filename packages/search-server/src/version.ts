import { readFileSync } from 'node:fs';

declare const GEOSEARCH_SERVER_VERSION: string | undefined;

/** The server's release version: baked in by the single-executable build, else read from package.json. */
export const serverVersion: string =
  typeof GEOSEARCH_SERVER_VERSION === 'string'
    ? GEOSEARCH_SERVER_VERSION
    : (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string })
        .version;
