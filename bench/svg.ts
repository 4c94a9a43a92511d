/**
 * The chart, as hand-written SVG: req/s and p99 against concurrency (one panel per page size) and against
 * WORKERS. Colour is the server (HTTP floor, memory, local), the line style the format (JSON solid,
 * Arrow dashed; filtered JSON pages, in the 100-row panels, dotted). Concurrency and WORKERS are on log2 axes, req/s and p99 on log10 axes (the floor and the
 * service can be two orders of magnitude apart).
 */
import type { Results } from './report.js';

interface Series {
  name: string;
  color: string;
  /** false: solid; true: dashed; a string: that stroke-dasharray. */
  dash: boolean | string;
  points: [number, number][];
}

interface Panel {
  title: string;
  xLabel: string;
  yLabel: string;
  yLog: boolean;
  series: Series[];
}

const COLORS: Record<string, string> = { floor: '#7f7f7f', memory: '#1f77b4', local: '#ff7f0e', 'local-nocache': '#d62728' };
const W = 460;
const H = 300;
const M = { left: 64, right: 16, top: 34, bottom: 44 };

const dashAttr = (dash: boolean | string) => (dash === false ? '' : ` stroke-dasharray="${dash === true ? '6 4' : dash}"`);
const DOTTED = '2 3';

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function niceTicks(lo: number, hi: number, count = 5): number[] {
  const span = hi - lo || 1;
  const step0 = span / count;
  const mag = 10 ** Math.floor(Math.log10(step0));
  const step = [1, 2, 5, 10].map((k) => k * mag).find((s) => span / s <= count) ?? 10 * mag;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

const label = (v: number) => (v >= 10000 ? `${Math.round(v / 1000)}k` : v >= 1000 ? `${(v / 1000).toFixed(1)}k` : v >= 1 ? String(Number(v.toPrecision(3))) : String(Number(v.toPrecision(2))));

function drawPanel(p: Panel, ox: number, oy: number): string {
  const pts = p.series.flatMap((s) => s.points).filter(([, y]) => Number.isFinite(y) && (!p.yLog || y > 0));
  const out: string[] = [`<g transform="translate(${ox},${oy})">`];
  out.push(`<text x="${W / 2}" y="18" text-anchor="middle" font-size="13" font-weight="bold">${esc(p.title)}</text>`);
  const pw = W - M.left - M.right;
  const ph = H - M.top - M.bottom;
  out.push(`<rect x="${M.left}" y="${M.top}" width="${pw}" height="${ph}" fill="none" stroke="#ccc"/>`);
  if (pts.length === 0) {
    out.push(`<text x="${W / 2}" y="${H / 2}" text-anchor="middle" fill="#999">not measured in this run</text></g>`);
    return out.join('\n');
  }
  const xs = [...new Set(pts.map(([x]) => x))].sort((a, b) => a - b);
  const lx = (x: number) => Math.log2(x);
  const [x0, x1] = [lx(xs[0]), lx(xs[xs.length - 1])];
  const sx = (x: number) => M.left + (x1 === x0 ? pw / 2 : ((lx(x) - x0) / (x1 - x0)) * pw);
  const ys = pts.map(([, y]) => y);
  let yTicks: number[];
  let sy: (y: number) => number;
  if (p.yLog) {
    const lo = Math.floor(Math.log10(Math.min(...ys)));
    const hi = Math.ceil(Math.log10(Math.max(...ys)));
    const top = hi === lo ? lo + 1 : hi;
    yTicks = [];
    for (let e = lo; e <= top; e++) yTicks.push(10 ** e);
    sy = (y) => M.top + ph - ((Math.log10(y) - lo) / (top - lo)) * ph;
  } else {
    const hi = Math.max(...ys) * 1.08;
    yTicks = niceTicks(0, hi);
    const top = Math.max(hi, yTicks[yTicks.length - 1]);
    sy = (y) => M.top + ph - (y / top) * ph;
  }
  for (const t of yTicks) {
    const y = sy(t);
    out.push(`<line x1="${M.left}" x2="${M.left + pw}" y1="${y}" y2="${y}" stroke="#eee"/>`);
    out.push(`<text x="${M.left - 6}" y="${y + 4}" text-anchor="end" font-size="11">${label(t)}</text>`);
  }
  for (const x of xs) {
    out.push(`<line x1="${sx(x)}" x2="${sx(x)}" y1="${M.top}" y2="${M.top + ph}" stroke="#f3f3f3"/>`);
    out.push(`<text x="${sx(x)}" y="${M.top + ph + 16}" text-anchor="middle" font-size="11">${x}</text>`);
  }
  out.push(`<text x="${M.left + pw / 2}" y="${H - 8}" text-anchor="middle" font-size="12">${esc(p.xLabel)}</text>`);
  out.push(`<text transform="translate(14,${M.top + ph / 2}) rotate(-90)" text-anchor="middle" font-size="12">${esc(p.yLabel)}</text>`);
  for (const s of p.series) {
    const valid = s.points.filter(([, y]) => Number.isFinite(y) && (!p.yLog || y > 0)).sort((a, b) => a[0] - b[0]);
    if (!valid.length) continue;
    const d = valid.map(([x, y], i) => `${i ? 'L' : 'M'}${sx(x).toFixed(1)},${sy(y).toFixed(1)}`).join(' ');
    out.push(`<path d="${d}" fill="none" stroke="${s.color}" stroke-width="2"${dashAttr(s.dash)}><title>${esc(s.name)}</title></path>`);
    for (const [x, y] of valid) out.push(`<circle cx="${sx(x).toFixed(1)}" cy="${sy(y).toFixed(1)}" r="3" fill="${s.color}"><title>${esc(`${s.name}: ${x} → ${label(y)}`)}</title></circle>`);
  }
  out.push('</g>');
  return out.join('\n');
}

function legend(names: { name: string; color: string; dash: boolean | string }[], y: number, width: number): string {
  const out = [`<g transform="translate(0,${y})">`];
  let x = 20;
  for (const n of names) {
    out.push(`<line x1="${x}" x2="${x + 28}" y1="8" y2="8" stroke="${n.color}" stroke-width="2"${dashAttr(n.dash)}/>`);
    out.push(`<text x="${x + 34}" y="12" font-size="12">${esc(n.name)}</text>`);
    x += 54 + n.name.length * 8;
    if (x > width - 120) break;
  }
  out.push('</g>');
  return out.join('\n');
}

export function chartSvg(r: Results): string {
  const servers: [string, { format: string; rows: number; concurrency: number; rps: number; p99_ms: number }[]][] = [
    ['floor', r.baselines.http_floor.pages],
    ...Object.entries(r.backends).map(([b, v]) => [b, v!.pages] as [string, typeof v extends undefined ? never : any]),
  ];
  const rowsSizes = [...new Set(r.baselines.http_floor.pages.map((c) => c.rows))].sort((a, b) => a - b);
  const panels: Panel[] = [];
  for (const metric of ['rps', 'p99_ms'] as const) {
    for (const rows of rowsSizes) {
      const series: Series[] = [];
      for (const [name, cells] of servers) {
        for (const format of ['json', 'arrow']) {
          const points = cells.filter((c) => c.rows === rows && c.format === format).map((c) => [c.concurrency, c[metric]] as [number, number]);
          if (points.length) series.push({ name: `${name} ${format}`, color: COLORS[name] ?? '#333', dash: format === 'arrow', points });
        }
      }
      if (rows === 100) {
        for (const [name, b] of Object.entries(r.backends)) {
          const cells = b?.filtered_pages ?? [];
          for (const query of [...new Set(cells.map((c) => c.query))]) {
            const points = cells.filter((c) => c.query === query).map((c) => [c.concurrency, c[metric]] as [number, number]);
            series.push({ name: `${name} json filtered: ${query}`, color: COLORS[name] ?? '#333', dash: DOTTED, points });
          }
        }
      }
      panels.push({
        title: `${metric === 'rps' ? 'req/s' : 'p99 latency'} vs concurrency — ${rows}-row pages`,
        xLabel: 'concurrent connections',
        yLabel: metric === 'rps' ? 'requests per second (log)' : 'p99 ms (log)',
        yLog: true,
        series,
      });
    }
  }
  if (r.sweep.length) {
    const s0 = r.sweep[0];
    for (const metric of ['rps', 'p99_ms'] as const) {
      const series: Series[] = [...new Set(r.sweep.map((w) => w.backend))].map((b) => ({
        name: `${b} ${s0.format}`,
        color: COLORS[b],
        dash: s0.format === 'arrow',
        points: r.sweep.filter((w) => w.backend === b).map((w) => [w.workers, w[metric]] as [number, number]),
      }));
      const floor = r.baselines.http_floor.pages.find((c) => c.rows === s0.rows && c.format === s0.format && c.concurrency === s0.concurrency);
      if (floor) series.push({ name: `floor ${s0.format}`, color: COLORS.floor, dash: false, points: r.sweep.map((w) => [w.workers, floor[metric]] as [number, number]) });
      panels.push({
        title: `${metric === 'rps' ? 'req/s' : 'p99 latency'} vs WORKERS — ${s0.format.toUpperCase()} ${s0.rows} rows, c=${s0.concurrency}`,
        xLabel: 'WORKERS',
        yLabel: metric === 'rps' ? 'requests per second (log)' : 'p99 ms (log)',
        yLog: true,
        series,
      });
    }
  }
  // Lay out: rps panels on the left column, p99 on the right, one row per page size, then the sweep.
  const ordered: Panel[] = [];
  const byTitle = (prefix: string, rows: number) => panels.find((p) => p.title.startsWith(prefix) && p.title.includes(`${rows}-row`))!;
  for (const rows of rowsSizes) ordered.push(byTitle('req/s', rows), byTitle('p99', rows));
  ordered.push(...panels.filter((p) => p.title.includes('WORKERS')));
  const cols = 2;
  const rowsN = Math.ceil(ordered.length / cols);
  const width = cols * W;
  const head = 46;
  const height = head + rowsN * H + 30;
  const legendNames = [
    { name: 'HTTP floor', color: COLORS.floor, dash: false },
    { name: 'memory', color: COLORS.memory, dash: false },
    { name: 'local', color: COLORS.local, dash: false },
    { name: 'local-nocache', color: COLORS['local-nocache'], dash: false },
    { name: 'JSON (solid)', color: '#333', dash: false },
    { name: 'Arrow (dashed)', color: '#333', dash: true },
    ...(Object.values(r.backends).some((b) => b?.filtered_pages?.length) ? [{ name: 'filtered JSON (dotted)', color: '#333', dash: DOTTED }] : []),
  ];
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="20" y="22" font-size="15" font-weight="bold">${esc(`Dataset service bench (${r.mode}) — ${r.machine.cores} cores, Node ${r.machine.node}, ${r.started_at.slice(0, 16)}Z`)}</text>`,
    legend(legendNames, 28, width),
    ...ordered.map((p, i) => drawPanel(p, (i % cols) * W, head + Math.floor(i / cols) * H)),
    `<text x="20" y="${height - 10}" font-size="11" fill="#666">medians of ${r.settings.reps} run(s); ${esc('hover a point for its value')}</text>`,
    '</svg>',
  ];
  return `${parts.join('\n')}\n`;
}
