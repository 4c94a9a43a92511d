/**
 * The files of the web page, one list for both sides: `npm run build` copies them (with compressed siblings)
 * into PAGE_ASSETS (src/cli/page-assets.ts), and src/plugins/ui.ts serves exactly these URLs from there.
 */
import { existsSync, readdirSync, type Stats } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';

/** The repository root: this file runs as dist/src/ui-files.js. */
const ROOT = resolve(import.meta.dirname, '../..');
const PUBLIC = join(ROOT, 'public');

/** The served tree the build writes: each file at its URL path (without the leading slash), `.br`/`.gz` beside it. */
export const PAGE_ASSETS = join(ROOT, 'dist/ui-assets');

/**
 * The browser ES modules the page imports, by URL prefix under /ui/vendor/: the npm package, the folders of it
 * that are served (only .js, .mjs and .css files there) and, for single-file bundles, just those files. Lit's
 * modules import each other, so its folders are served whole. Nothing else of node_modules is reachable. The
 * import map in public/index.html names the same URLs.
 */
const VENDORED: Record<string, { pkg: string; dirs: string[]; only?: string[] }> = {
  lit: { pkg: 'lit', dirs: ['', 'directives', 'decorators'] },
  'lit-html': { pkg: 'lit-html', dirs: ['', 'directives'] },
  'lit-element': { pkg: 'lit-element', dirs: [''] },
  '@lit/reactive-element': { pkg: '@lit/reactive-element', dirs: ['', 'decorators'] },
  'ag-grid-community': { pkg: 'ag-grid-community', dirs: ['dist/package'], only: ['main.esm.min.mjs'] },
  'ag-stack': { pkg: 'ag-stack', dirs: ['dist/package'], only: ['main.esm.min.mjs'] },
  uplot: { pkg: 'uplot', dirs: ['dist'], only: ['uPlot.esm.js', 'uPlot.min.css'] },
};
const VENDOR_FILE = /^[A-Za-z0-9_.-]+\.(?:js|mjs|css)$/;
const PAGE_FILE = /^[A-Za-z0-9_-]+\.(?:js|css)$/;

/** The folder holding an installed package (looked up the way Node resolves it from here). */
function packageRoot(pkg: string): string {
  const require = createRequire(import.meta.url);
  for (const dir of require.resolve.paths(pkg) ?? []) {
    if (existsSync(join(dir, pkg, 'package.json'))) return join(dir, pkg);
  }
  throw new Error(`the page needs the npm package ${pkg}; run npm ci`);
}

/** One served file: `path` is its URL path without the leading slash (`index.html` is served at `/`). */
export interface PageFile {
  path: string;
  /** Absolute path of the file it is a copy of (public/ or node_modules). */
  source: string;
}

/**
 * Every file the page may be served: public/index.html, public/ui/*.{js,css}, and the VENDORED modules under
 * ui/vendor/<prefix>/<dir>/<file>. Reads the folders (not the files). Throws when a vendored package is
 * not installed.
 */
export function pageFiles(): PageFile[] {
  const files: PageFile[] = [{ path: 'index.html', source: join(PUBLIC, 'index.html') }];
  for (const name of readdirSync(join(PUBLIC, 'ui')).sort()) {
    if (PAGE_FILE.test(name)) files.push({ path: `ui/${name}`, source: join(PUBLIC, 'ui', name) });
  }
  for (const [prefix, { pkg, dirs, only }] of Object.entries(VENDORED)) {
    const root = packageRoot(pkg);
    for (const dir of dirs) {
      for (const entry of readdirSync(join(root, dir), { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
        if (!entry.isFile() || !VENDOR_FILE.test(entry.name) || (only && !only.includes(entry.name))) continue;
        files.push({ path: ['ui/vendor', prefix, dir, entry.name].filter(Boolean).join('/'), source: join(root, dir, entry.name) });
      }
    }
  }
  return files;
}

/**
 * True when `built` (a file of PAGE_ASSETS) carries `source`'s modification time, as the build sets it. Within
 * a millisecond: the time goes through a float of seconds on its way to utimes.
 */
export function sameModification(source: Stats, built: Stats): boolean {
  return Math.abs(source.mtimeMs - built.mtimeMs) < 1;
}
