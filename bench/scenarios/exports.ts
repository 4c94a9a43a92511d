/**
 * Exports: the whole 3,000,000-row table streamed from `…/data?format=<f>` (no paging parameters), one client
 * at a time, read to the end by the bench: time to the first body byte, total time and MB/s, and the
 * server's RSS during the export — sampled every 50 ms as in the upload scenario (peak above the settled RSS
 * before it) and the process's VmHWM before and after. The bytes are checked cheaply afterwards: the CSV's
 * line count (header + one line per row), the rows of the Parquet or Arrow body read back with one column,
 * and the byte count against the engine floor's output of the same format. A mismatch is recorded, not fatal.
 * The engine floor is nodejs-polars in this process: pl.readParquet of the same file, then the same writer
 * (CSV with ISO datetimes, Parquet with zstd, Arrow IPC stream) to a buffer.
 */
import { readFileSync } from 'node:fs';
import pl from 'nodejs-polars';
import { TABLE_ROWS } from '../data.js';
import { ForeignCpu, RssSampler, waitIdle, type Backend, type ServerHandle } from '../servers.js';
import { elapsedMs, log, MB, median, PARQUET_PATH, round, sleep } from '../util.js';

export type ExportFormat = 'csv' | 'parquet' | 'arrow-stream';

export interface ExportRun {
  status: number;
  /** Request sent until the first byte of the body arrived. */
  ttfb_ms: number;
  /** Request sent until the last byte arrived. */
  total_ms: number;
  bytes: number;
  mb_s: number;
  /** Rows found in the body (CSV: lines - 1), or null if they could not be counted. */
  rows: number | null;
  /** CSV only: newline-terminated lines, header included (expected 3,000,001). */
  lines: number | null;
  steady_rss_mb: number;
  peak_rss_mb: number;
  peak_above_steady_mb: number;
  hwm_before_mb: number;
  hwm_after_mb: number;
  hwm_growth_mb: number;
  foreign_cpu_cores: number;
  note?: string;
}

export interface ExportFigures {
  format: ExportFormat;
  bytes: number;
  ttfb_ms: number;
  total_ms: number;
  mb_s: number;
  peak_above_steady_mb: number;
  hwm_growth_mb: number;
  /** Every run returned 200 and the expected rows (CSV: 3,000,001 lines). */
  rows_ok: boolean;
  /** Every run's byte count is within the plausible range of the engine floor's output of the same format. */
  bytes_ok: boolean | null;
  bytes_ratio_to_engine: number | null;
  runs: ExportRun[];
}

export interface ExportEngineFigures {
  format: ExportFormat;
  bytes: number;
  read_ms: number;
  write_ms: number;
  /** bytes / (pl.readParquet + write): the baseline (ratio_to_engine). */
  mb_s: number;
  /** bytes / write alone (a frame already in memory). */
  write_only_mb_s: number;
  runs: { read_ms: number[]; write_ms: number[] };
}

const ISO_DATETIME = '%Y-%m-%dT%H:%M:%S%.f';

function write(frame: pl.DataFrame, format: ExportFormat): Buffer {
  if (format === 'csv') return frame.writeCSV({ datetimeFormat: ISO_DATETIME });
  if (format === 'parquet') return frame.writeParquet({ compression: 'zstd' });
  return frame.writeIPCStream();
}

export function exportEngineFloor(formats: ExportFormat[], reps: number): ExportEngineFigures[] {
  log(`engine floor, exports: pl.readParquet + ${formats.join(', ')} x${reps}`);
  const fileBytes = readFileSync(PARQUET_PATH);
  const read: number[] = [];
  const writes = new Map<ExportFormat, number[]>(formats.map((f) => [f, []]));
  const bytes = new Map<ExportFormat, number>();
  for (let r = 0; r < reps; r++) {
    let t = process.hrtime.bigint();
    const frame = pl.readParquet(fileBytes);
    read.push(elapsedMs(t));
    for (const f of formats) {
      t = process.hrtime.bigint();
      const out = write(frame, f);
      writes.get(f)!.push(elapsedMs(t));
      bytes.set(f, out.length);
    }
  }
  const readMs = median(read);
  return formats.map((format) => {
    const writeMs = median(writes.get(format)!);
    const b = bytes.get(format)!;
    const fig = {
      format,
      bytes: b,
      read_ms: round(readMs, 1),
      write_ms: round(writeMs, 1),
      mb_s: round(b / MB / ((readMs + writeMs) / 1000), 1),
      write_only_mb_s: round(b / MB / (writeMs / 1000), 1),
      runs: { read_ms: read.map((x) => round(x, 1)), write_ms: writes.get(format)!.map((x) => round(x, 1)) },
    };
    log(`engine floor, export ${format}: ${round(b / MB, 1)} MB, read ${fig.read_ms} ms + write ${fig.write_ms} ms = ${fig.mb_s} MB/s (write alone ${fig.write_only_mb_s} MB/s)`);
    return fig;
  });
}

/** Counts rows in the body afterwards (outside the timed part). */
function countRows(format: ExportFormat, body: Buffer): number {
  if (format === 'parquet') return pl.readParquet(body, { columns: ['delay'] }).height;
  return pl.readIPCStream(body, { columns: ['delay'] }).height;
}

function countNewlines(chunk: Uint8Array): number {
  let n = 0;
  for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) n++;
  return n;
}

async function oneExport(server: ServerHandle, path: string, format: ExportFormat): Promise<ExportRun> {
  await waitIdle([server.pid]);
  await sleep(300);
  const before = server.status();
  const steady = before?.rss_mb ?? Number.NaN;
  const sampler = new RssSampler(server.pid, 50).start();
  const foreign = new ForeignCpu().start();
  let res: Response;
  let start: bigint;
  // A 503 (load shedding) is waited out as a client would, and the clock restarts.
  for (let attempt = 0; ; attempt++) {
    start = process.hrtime.bigint();
    res = await fetch(`${server.url}${path}?format=${format}`);
    if (res.status !== 503 || attempt >= 10) break;
    await res.arrayBuffer();
    await sleep(1000 * Number(res.headers.get('retry-after') ?? 1));
  }
  let ttfb = Number.NaN;
  let bytes = 0;
  let lines = 0;
  const kept: Buffer[] = [];
  const reader = res.body!.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (bytes === 0) ttfb = elapsedMs(start);
    bytes += value.length;
    if (format === 'csv') lines += countNewlines(value);
    else kept.push(Buffer.from(value.buffer, value.byteOffset, value.byteLength));
  }
  const total = elapsedMs(start);
  const foreignCores = foreign.stop();
  const peak = sampler.stop();
  const after = server.status();
  let rows: number | null = null;
  let note: string | undefined;
  if (res.status === 200) {
    if (format === 'csv') rows = lines - 1;
    else {
      try {
        rows = countRows(format, Buffer.concat(kept));
      } catch (err) {
        note = `could not read the body back: ${err instanceof Error ? err.message : String(err)}`;
      }
    }
  } else {
    note = `HTTP ${res.status}`;
  }
  kept.length = 0;
  const hwmBefore = before?.hwm_mb ?? Number.NaN;
  const hwmAfter = after?.hwm_mb ?? Number.NaN;
  return {
    status: res.status,
    ttfb_ms: round(ttfb, 1),
    total_ms: round(total, 1),
    bytes,
    mb_s: round(bytes / MB / (total / 1000), 2),
    rows,
    lines: format === 'csv' ? lines : null,
    steady_rss_mb: round(steady, 1),
    peak_rss_mb: round(peak, 1),
    peak_above_steady_mb: round(peak - steady, 1),
    hwm_before_mb: round(hwmBefore, 1),
    hwm_after_mb: round(hwmAfter, 1),
    hwm_growth_mb: round(hwmAfter - hwmBefore, 1),
    foreign_cpu_cores: round(foreignCores, 2),
    ...(note ? { note } : {}),
  };
}

/** How far a body's size may be from the engine floor's output of the same format and still be plausible. */
const PLAUSIBLE: Record<ExportFormat, [number, number]> = { csv: [0.95, 1.05], 'arrow-stream': [0.95, 1.05], parquet: [0.5, 2] };

export async function exportScenario(
  targets: { backend: Backend; server: ServerHandle; dataPath: string }[],
  formats: ExportFormat[],
  reps: number,
  engine: ExportEngineFigures[],
): Promise<Record<string, ExportFigures[]>> {
  const runs = new Map<string, ExportRun[]>();
  for (let rep = 0; rep < reps; rep++) {
    for (const [i, format] of formats.entries()) {
      const order = targets.map((_, k) => targets[(k + rep + i) % targets.length]);
      for (const t of order) {
        const run = await oneExport(t.server, t.dataPath, format);
        log(
          `export rep ${rep + 1}/${reps} ${t.backend.padEnd(6)} ${format.padEnd(12)} ${round(run.bytes / MB, 1)} MB  first byte ${run.ttfb_ms} ms  total ${run.total_ms} ms  ${run.mb_s} MB/s  ` +
            `RSS peak +${run.peak_above_steady_mb} MB, VmHWM +${run.hwm_growth_mb} MB  rows ${run.rows ?? '?'}${run.note ? `  (${run.note})` : ''}`,
        );
        const key = `${t.backend}|${format}`;
        runs.set(key, [...(runs.get(key) ?? []), run]);
      }
    }
  }
  const out: Record<string, ExportFigures[]> = {};
  for (const t of targets) {
    out[t.backend] = formats.map((format) => {
      const rs = runs.get(`${t.backend}|${format}`) ?? [];
      const med = (f: (r: ExportRun) => number, d = 1) => round(median(rs.map(f)), d);
      const e = engine.find((x) => x.format === format);
      const bytes = med((r) => r.bytes, 0);
      const [lo, hi] = PLAUSIBLE[format];
      return {
        format,
        bytes,
        ttfb_ms: med((r) => r.ttfb_ms),
        total_ms: med((r) => r.total_ms),
        mb_s: med((r) => r.mb_s, 2),
        peak_above_steady_mb: med((r) => r.peak_above_steady_mb),
        hwm_growth_mb: med((r) => r.hwm_growth_mb),
        rows_ok: rs.length > 0 && rs.every((r) => r.status === 200 && r.rows === TABLE_ROWS && (format !== 'csv' || r.lines === TABLE_ROWS + 1)),
        bytes_ok: e ? rs.length > 0 && rs.every((r) => r.bytes >= lo * e.bytes && r.bytes <= hi * e.bytes) : null,
        bytes_ratio_to_engine: e ? round(bytes / e.bytes, 3) : null,
        runs: rs,
      };
    });
  }
  return out;
}
