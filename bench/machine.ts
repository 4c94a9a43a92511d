/** What the figures were measured on: cores, memory, load, Node and the libraries that matter. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, release, totalmem } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './util.js';

const LIBRARIES = ['fastify', '@fastify/multipart', 'piscina', 'nodejs-polars', 'apache-arrow', 'better-sqlite3', 'prom-client', 'autocannon'];

export interface MachineInfo {
  cpu_model: string;
  cores: number;
  available_parallelism: number;
  memory_gib: number;
  load_average_at_start: number[];
  load_average_at_end?: number[];
  os_release: string;
  node: string;
  libraries: Record<string, string | null>;
  git_commit: string | null;
  git_dirty: boolean | null;
}

export function machineInfo(): MachineInfo {
  const libraries: Record<string, string | null> = {};
  for (const name of LIBRARIES) {
    try {
      libraries[name] = JSON.parse(readFileSync(join(ROOT, 'node_modules', name, 'package.json'), 'utf8')).version;
    } catch {
      libraries[name] = null;
    }
  }
  return {
    cpu_model: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    available_parallelism: availableParallelism(),
    memory_gib: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
    load_average_at_start: loadavg().map((x) => Math.round(x * 100) / 100),
    os_release: release(),
    node: process.version,
    libraries,
    git_commit: git(['rev-parse', '--short', 'HEAD']),
    git_dirty: (() => {
      const s = git(['status', '--porcelain', '--untracked-files=no', '--', 'src', 'workers']);
      return s === null ? null : s.length > 0;
    })(),
  };
}

function git(args: string[]): string | null {
  try {
    return execFileSync('git', args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}
