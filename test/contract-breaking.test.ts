import { execFile } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = join(import.meta.dirname, '..');
const buf = join(root, 'node_modules', '.bin', 'buf');
const serviceFile = join('proto', 'geosearch', 'v1', 'search_service.proto');

/** Copies the contract into a scratch folder and applies `edit` to one file. */
async function editedContract(edit: (text: string) => string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'geosearch-contract-'));
  await cp(join(root, 'proto'), join(dir, 'proto'), { recursive: true });
  await cp(join(root, 'buf.yaml'), join(dir, 'buf.yaml'));
  const path = join(dir, serviceFile);
  const before = await readFile(path, 'utf8');
  const after = edit(before);
  expect(after).not.toBe(before);
  await writeFile(path, after);
  scratch.push(dir);
  return dir;
}

/** Runs `buf breaking` on `dir` against the checked-in contract. */
async function breaking(dir: string): Promise<{ ok: boolean; output: string }> {
  try {
    await run(buf, ['breaking', dir, '--against', root]);
    return { ok: true, output: '' };
  } catch (error) {
    const { stdout, stderr } = error as { stdout: string; stderr: string };
    return { ok: false, output: `${stdout}${stderr}` };
  }
}

const scratch: string[] = [];
afterEach(async () => {
  await Promise.all(scratch.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

describe('buf breaking guards the contract', () => {
  it('fails when a field is renumbered', async () => {
    const dir = await editedContract((t) => t.replace('string query = 2;', 'string query = 12;'));
    const result = await breaking(dir);
    expect(result.ok).toBe(false);
    expect(result.output).toMatch(/SearchRequest/);
  });

  it('fails when a field changes type', async () => {
    const dir = await editedContract((t) => t.replace('int32 page_size = 3;', 'string page_size = 3;'));
    const result = await breaking(dir);
    expect(result.ok).toBe(false);
    expect(result.output).toMatch(/page_size/);
  });

  it('accepts a compatible addition', async () => {
    const dir = await editedContract((t) =>
      t.replace(
        'ThingView view = 5;',
        'ThingView view = 5;\n  // A new optional field.\n  bool explain = 6;',
      ),
    );
    expect(await breaking(dir)).toEqual({ ok: true, output: '' });
  });
});
