/**
 * Summaries of the V8 CPU profiles written by servers run with --cpu-prof: per profile (one per thread),
 * the functions with the most self time. The .cpuprofile files stay next to the results for DevTools.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { round } from './util.js';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface ProfileSummary {
  file: string;
  /** "main" for the server's main thread, "worker N" for worker threads (Node's thread id in the file name). */
  thread: string;
  total_ms: number;
  /** Time not spent idle ("(idle)" and Piscina's Atomics.wait loop between tasks excluded). */
  busy_ms: number;
  top: { function: string; where: string; self_ms: number; self_pct_of_busy: number }[];
}

/** Frames that are waiting, not working: V8's idle, and a Piscina worker blocked in Atomics.wait for its next task. */
const IDLE = new Set(['(idle)', 'atomicsWaitLoop']);

export function summarizeProfiles(dir: string, topN = 12): ProfileSummary[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .map((f) => summarize(join(dir, f), topN))
    .sort((a, b) => (a.thread === 'main' ? -1 : b.thread === 'main' ? 1 : b.busy_ms - a.busy_ms));
}

function summarize(path: string, topN: number): ProfileSummary {
  const p = JSON.parse(readFileSync(path, 'utf8')) as CpuProfile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map<string, { fn: string; where: string; us: number }>();
  let idle = 0;
  let total = 0;
  p.samples.forEach((id, i) => {
    const us = p.timeDeltas[i] ?? 0;
    total += us;
    const n = byId.get(id);
    if (!n) return;
    const fn = n.callFrame.functionName || '(anonymous)';
    if (IDLE.has(fn)) idle += us;
    const where = n.callFrame.url ? `${n.callFrame.url.replace(/^.*\/(node_modules|dist)\//, '$1/')}:${n.callFrame.lineNumber + 1}` : '';
    const key = `${fn}@${where}`;
    const e = self.get(key) ?? { fn, where, us: 0 };
    e.us += us;
    self.set(key, e);
  });
  const busy = total - idle;
  const top = [...self.values()]
    .filter((e) => !IDLE.has(e.fn))
    .sort((a, b) => b.us - a.us)
    .slice(0, topN)
    .map((e) => ({ function: e.fn, where: e.where, self_ms: round(e.us / 1000, 1), self_pct_of_busy: busy ? round((100 * e.us) / busy, 1) : 0 }));
  // CPU.<date>.<time>.<pid>.<thread id>.<seq>.cpuprofile; thread 0 is the main thread.
  const tid = /\.(\d+)\.\d+\.cpuprofile$/.exec(path)?.[1];
  return { file: path, thread: tid === '0' ? 'main' : `worker ${tid ?? '?'}`, total_ms: round(total / 1000, 1), busy_ms: round(busy / 1000, 1), top };
}
