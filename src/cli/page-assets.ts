/**
 * `npm run build` (after tsc): copies the web page's files (src/ui-files.ts, the one list) into PAGE_ASSETS
 * with a brotli (`.br`) and a gzip (`.gz`) sibling beside each, for @fastify/static's `preCompressed`, so the
 * server never compresses a page file per request. Every copy and sibling keeps its source's modification time
 * (the served Last-Modified and ETag then change only when the file does), and a file whose copy is already up to
 * date is skipped, so a second build compresses nothing. Files no longer in the list are removed from the tree.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { PAGE_ASSETS, pageFiles, sameModification } from '../ui-files.js';

const SIBLINGS = ['.br', '.gz'] as const;

/** True when `target` and its siblings exist with the source's modification time (and the copy its size). */
function upToDate(source: string, target: string): boolean {
  const src = statSync(source);
  const same = (path: string, size?: number) => {
    try {
      const s = statSync(path);
      return sameModification(src, s) && (size === undefined || s.size === size);
    } catch {
      return false;
    }
  };
  return same(target, src.size) && SIBLINGS.every((ext) => same(target + ext));
}

/** Every file under `dir`, as paths relative to it. */
function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)));
}

const started = performance.now();
const files = pageFiles();
let written = 0;
for (const { path, source } of files) {
  const target = join(PAGE_ASSETS, path);
  if (upToDate(source, target)) continue;
  const bytes = readFileSync(source);
  mkdirSync(dirname(target), { recursive: true });
  writeFileSync(
    target + '.br',
    brotliCompressSync(bytes, {
      params: { [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT, [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY, [constants.BROTLI_PARAM_SIZE_HINT]: bytes.length },
    }),
  );
  writeFileSync(target + '.gz', gzipSync(bytes, { level: constants.Z_BEST_COMPRESSION }));
  writeFileSync(target, bytes);
  // Last, so an interrupted build leaves a file that is not up to date and is redone next time.
  const { atimeMs, mtimeMs } = statSync(source);
  for (const p of [target, ...SIBLINGS.map((ext) => target + ext)]) utimesSync(p, atimeMs / 1000, mtimeMs / 1000);
  written++;
}
const keep = new Set(files.flatMap(({ path }) => [path, ...SIBLINGS.map((ext) => path + ext)]));
let removed = 0;
for (const path of walk(PAGE_ASSETS)) {
  if (!keep.has(path)) {
    rmSync(join(PAGE_ASSETS, path));
    removed++;
  }
}
process.stdout.write(
  `page assets: ${files.length} files in ${relative(process.cwd(), PAGE_ASSETS) || PAGE_ASSETS} (${written} compressed, ${files.length - written} up to date${removed ? `, ${removed} removed` : ''}) in ${Math.round(performance.now() - started)} ms\n`,
);
