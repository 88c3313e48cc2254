import { readFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, totalmem } from 'node:os';

/** The one-minute load average, rounded to two decimals. */
export const load1 = () => Math.round(loadavg()[0] * 100) / 100;

/** `VmRSS` and `VmHWM` of a process in MiB, from /proc/<pid>/status; undefined once it has exited. */
export function processMemory(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kib = (key) => Number(status.match(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm'))?.[1] ?? Number.NaN);
    return { rssMiB: kib('VmRSS') / 1024, peakMiB: kib('VmHWM') / 1024 };
  } catch {
    return undefined;
  }
}

/** The machine the numbers were measured on. */
export function machineInfo() {
  const model = readFileSync('/proc/cpuinfo', 'utf8')
    .match(/^model name\s*:\s*(.+)$/m)?.[1]
    ?.trim();
  return {
    nproc: availableParallelism(),
    cpuModel: model ?? cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
    kernel: readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim(),
  };
}
