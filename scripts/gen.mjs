// Regenerates generated/ from proto/ with `buf generate`: ts-proto types and
// service definitions, and (scripts/protoc-gen-descriptor-set.mjs) the
// FileDescriptorSet that server reflection serves, embedded as a module.
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
execFileSync(join(root, 'node_modules', '.bin', 'buf'), ['generate'], { cwd: root, stdio: 'inherit' });
