/**
 * A bounded mixed load against one server, for the soak test (short, in the suite) and `npm run soak`
 * (long): uploads, pages, filtered pages, statistics, exports and deletes from many clients at once. Only
 * loopback traffic, a fixed number of requests, and it stops by itself.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

export interface SoakOptions {
  url: string;
  /** Server process id, for RSS from /proc. */
  pid: number;
  requests: number;
  concurrency: number;
  /** Datasets uploaded before the load, kept to the end and checked against their first checksum. */
  seedDatasets: number;
  log?: (line: string) => void;
}

export interface SoakReport {
  requests: number;
  statuses: Record<string, number>;
  /** Responses that are neither 2xx/4xx nor 503 from shedding: must be empty. */
  failures: string[];
  rss_mb_after_warmup: number;
  rss_mb_peak_after_warmup: number;
  rss_mb_end: number;
  datasets_checked: number;
  checksum_mismatches: string[];
  seconds: number;
}

/** Deterministic CSV of `rows` rows: integers, floats with gaps, dates, non-ASCII text. */
export function soakCsv(seed: number, rows: number): string {
  const cities = ['Zürich', 'São Paulo', 'Kraków', '東京', 'Lyon', 'Nice'];
  const lines = ['id,amount,day,city'];
  for (let i = 0; i < rows; i++) {
    const x = (i * 2654435761 + seed * 40503) % 1_000_003;
    const day = new Date(Date.UTC(2020, 0, 1) + (x % 1500) * 86_400_000).toISOString().slice(0, 10);
    lines.push(`${i},${x % 7 === 0 ? '' : (x / 100).toFixed(2)},${day},${cities[x % cities.length]}`);
  }
  return `${lines.join('\n')}\n`;
}

export async function runSoak(o: SoakOptions): Promise<SoakReport> {
  const started = Date.now();
  const statuses: Record<string, number> = {};
  const failures: string[] = [];
  const count = (label: string, status: number) => {
    statuses[status] = (statuses[status] ?? 0) + 1;
    // No shard dies during a soak, so 410 data_lost is always a wrong answer (a version deleted under a
    // request is 404); 503 is shedding, the one 5xx allowed.
    if ((status >= 500 && status !== 503) || status === 410) failures.push(`${label} → ${status}`);
  };
  const rss = () => {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${o.pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : 0;
  };

  const upload = async (name: string, csv: string) => {
    const form = new FormData();
    form.set('name', name);
    form.set('file', new Blob([csv]), `${name}.csv`);
    const res = await fetch(`${o.url}/api/datasets/upload`, { method: 'POST', body: form });
    count('upload', res.status);
    const body = (await res.json()) as { dataset: { id: number }; version: { id: number; row_count: number } };
    return res.status === 201 ? { id: body.dataset.id as number, vid: body.version.id as number, rows: body.version.row_count as number } : undefined;
  };
  const checksum = async (d: { id: number; vid: number }) => {
    const res = await fetch(`${o.url}/api/datasets/${d.id}/versions/${d.vid}/data?format=csv`);
    return createHash('sha256').update(Buffer.from(await res.arrayBuffer())).digest('hex');
  };

  const seeds: { id: number; vid: number; rows: number; sum: string }[] = [];
  for (let i = 0; i < o.seedDatasets; i++) {
    const d = await upload(`seed-${i}`, soakCsv(i, 5_000 + i * 3_000));
    if (d) seeds.push({ ...d, sum: await checksum(d) });
  }
  const transient: { id: number; vid: number; rows: number }[] = [];

  let issued = 0;
  let rssAfterWarmup = 0;
  let rssPeak = 0;
  const warmup = Math.floor(o.requests / 5);
  const one = async (n: number) => {
    const pick = [...seeds, ...transient];
    const d = pick[n % pick.length];
    const base = `${o.url}/api/datasets/${d.id}/versions/${d.vid}`;
    const r = n % 20;
    let label: string;
    let res: Response;
    if (r < 9) {
      label = 'page';
      res = await fetch(`${base}/data?offset=${(n * 7919) % Math.max(d.rows, 1)}&limit=100`);
    } else if (r < 12) {
      label = 'filtered page';
      res = await fetch(`${base}/data?filter%5Bcity%5Deq=Z%C3%BCrich&sort=-amount&page_size=50`);
    } else if (r < 14) {
      label = 'statistics';
      res = await fetch(`${base}/statistics${r === 13 ? '/refresh?detailed=true' : ''}`, { method: r === 13 ? 'POST' : 'GET' });
    } else if (r < 15) {
      label = 'export';
      res = await fetch(`${base}/data?format=csv`);
    } else if (r < 18) {
      label = 'upload';
      const up = await upload(`soak-${n}`, soakCsv(n, 1_000 + (n % 5) * 1_000));
      if (up) transient.push(up);
      return;
    } else {
      label = 'delete';
      const victim = transient.shift();
      if (!victim) return;
      res = await fetch(`${o.url}/api/datasets/${victim.id}`, { method: 'DELETE' });
    }
    count(label, res.status);
    await res.arrayBuffer();
  };

  const worker = async () => {
    while (issued < o.requests) {
      const n = issued++;
      await one(n);
      if (n === warmup) rssAfterWarmup = rss();
      if (n > warmup && n % 50 === 0) rssPeak = Math.max(rssPeak, rss());
      if (n % 1000 === 0) o.log?.(`soak: ${n}/${o.requests} requests, RSS ${Math.round(rss())} MB`);
    }
  };
  await Promise.all(Array.from({ length: o.concurrency }, worker));

  const mismatches: string[] = [];
  for (const d of seeds) if ((await checksum(d)) !== d.sum) mismatches.push(`dataset ${d.id}`);
  return {
    requests: o.requests,
    statuses,
    failures,
    rss_mb_after_warmup: Math.round(rssAfterWarmup),
    rss_mb_peak_after_warmup: Math.round(Math.max(rssPeak, rssAfterWarmup)),
    rss_mb_end: Math.round(rss()),
    datasets_checked: seeds.length,
    checksum_mismatches: mismatches,
    seconds: Math.round((Date.now() - started) / 1000),
  };
}
