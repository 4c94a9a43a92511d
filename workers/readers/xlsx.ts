/**
 * .xlsx / .xlsm reader: every worksheet, in workbook order, one sheet's XML streamed at a time.
 * Cell values → CellValue, then the shared rules in cells-to-frame.ts. Macros are never looked at.
 *
 * Why not exceljs's stream.xlsx.WorkbookReader: in exceljs 4.4.0 it
 *  - decodes every chunk of XML on its own, so a multi-byte UTF-8 character split across two chunks turns
 *    into U+FFFD (2 of 5,000 accented strings in a test sheet);
 *  - hangs for ever on an empty file, or on a sheet whose compressed data is corrupt;
 *  - turns boolean formula results into 1/0 and drops error results and FALSE;
 *  - emits sheets in zip order rather than workbook order.
 * So we use the two libraries it is built on: unzipper, reading the zip through its central directory (so
 * workbook.xml, styles and shared strings are read before any sheet, whatever the zip order), and saxes.
 */
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { workerData } from 'node:worker_threads';
import { crc32, createInflateRaw } from 'node:zlib';
import * as XLSX from '@e965/xlsx';
import { SaxesParser as Saxes } from 'saxes';
import unzipperModule from 'unzipper';
import { TaskError, tooComplex, unreadable } from '../task-error.js';
import { type CellValue, gridToFrame, noWorksheets } from './cells-to-frame.js';
import { builtinFormatKind, excelNumberToCell, type FormatKind, formatKind } from './number-format.js';
import { type XlsxLimits, defaultXlsxLimits } from '../xlsx-limits.js';
import { InflateBudget } from './xlsx-budget.js';
import type { ParsedSheet, Source } from './types.js';
import { selectSheets } from './select-sheets.js';

// ---- the slice of unzipper's and saxes' APIs used here ---------------------------------------------------

/** A central-directory record as unzipper parses it (ZIP64 sizes already applied). We inflate it ourselves. */
interface ZipEntry {
  path: string;
  type: 'File' | 'Directory';
  flags: number;
  compressionMethod: number;
  compressedSize: number;
  uncompressedSize: number;
  crc32: number;
  offsetToLocalFileHeader: number;
}
interface Unzipper {
  Open: { buffer(bytes: Buffer): Promise<{ files: ZipEntry[] }> };
}
type Attrs = Record<string, string>;
interface SaxesTag {
  name: string;
  attributes: Attrs;
}
interface SaxesParser {
  on(event: 'opentag' | 'closetag', handler: (tag: SaxesTag) => void): void;
  on(event: 'text' | 'cdata', handler: (text: string) => void): void;
  on(event: 'error', handler: (err: Error) => void): void;
  write(chunk: string): void;
  close(): void;
}

const unzipper = unzipperModule as unknown as Unzipper;
const SaxesParser = Saxes as unknown as new (options: { position: boolean }) => SaxesParser;

// ---- entry point ----------------------------------------------------------------------------------------

/** The parse pool hands its workers the XLSX_MAX_* settings; outside a pool, the defaults. */
const LIMITS: XlsxLimits = (workerData as { xlsxLimits?: XlsxLimits } | null)?.xlsxLimits ?? defaultXlsxLimits(2048);

/** Every worksheet (or those `wanted`, by name), in workbook order, within `limits` of inflated bytes and cells. */
export async function readXlsx(source: Source, wanted?: readonly string[], limits: XlsxLimits = LIMITS): Promise<ParsedSheet[]> {
  const zip = await openZip(await loadBytes(source), limits);
  const book = await readWorkbook(zip);
  // A workbook of chart sheets only has no table to serve: say so rather than store a version without sheets.
  if (book.sheets.length === 0) throw noWorksheets(book.otherSheets);
  const sheets: ParsedSheet[] = [];
  for (const sheet of selectSheets(book.sheets, wanted)) {
    const grid = await readSheet(zip, book, sheet);
    sheets.push({ name: sheet.name, frame: gridToFrame(grid, sheet.name) });
  }
  return sheets;
}

// ---- the zip package --------------------------------------------------------------------------------------

const ZIP_MAGIC = Buffer.from('PK\x03\x04', 'latin1');
const EMPTY_ZIP_MAGIC = Buffer.from('PK\x05\x06', 'latin1');
const CFB_MAGIC = Buffer.from('d0cf11e0a1b11ae1', 'hex');

/**
 * Part name (lower case: OPC part names are case-insensitive) → zip entry, with the archive's bytes and the
 * workbook's budgets of inflated bytes and cells (see inflatePart and xlsx-budget.ts).
 */
class Package extends Map<string, ZipEntry> {
  constructor(
    readonly bytes: Buffer,
    entries: Iterable<[string, ZipEntry]>,
    readonly budget: InflateBudget,
  ) {
    super(entries);
  }
}

async function loadBytes(source: Source): Promise<Buffer> {
  if (source.kind === 'bytes') {
    return Buffer.from(source.bytes.buffer, source.bytes.byteOffset, source.bytes.byteLength);
  }
  try {
    // The compressed file is small next to its XML; holding it lets unzipper seek to any part.
    return await readFile(source.path);
  } catch (err) {
    throw unreadable(`the uploaded file could not be read (${firstLine(err)})`);
  }
}

async function openZip(bytes: Buffer, limits: XlsxLimits): Promise<Package> {
  const magic = bytes.subarray(0, 4);
  if (magic.equals(EMPTY_ZIP_MAGIC)) throw unreadable('the .xlsx file is an empty zip archive, with no workbook in it');
  if (bytes.subarray(0, 8).equals(CFB_MAGIC)) throw ole2Refusal(bytes);
  if (!magic.equals(ZIP_MAGIC)) {
    throw unreadable(
      'not an .xlsx workbook (an .xlsx file is a zip archive and this is not one); open it in Excel and save it as .xlsx',
    );
  }
  try {
    const { files } = await unzipper.Open.buffer(bytes);
    const entries = files.filter((f) => f.type === 'File').map((f): [string, ZipEntry] => [normalizePath(f.path), f]);
    return new Package(bytes, entries, new InflateBudget(limits));
  } catch (err) {
    throw unreadable(
      `the .xlsx file is damaged: its zip directory could not be read (${firstLine(err)}); ` +
        're-save it in Excel and upload again',
    );
  }
}

/**
 * Excel saves a password-protected workbook as an OLE2 compound file holding an `EncryptedPackage` stream
 * (ECMA-376 encryption), not as a zip. The upload check lets OLE2 content named .xlsx through so that we can
 * tell that case (422: remove the password) from a legacy .xls under the wrong name (415, as the sniffer says).
 */
function ole2Refusal(bytes: Buffer): TaskError {
  let encrypted = false;
  try {
    const cfb = XLSX.CFB.read(bytes, { type: 'buffer' });
    encrypted = XLSX.CFB.find(cfb, 'EncryptedPackage') !== null || XLSX.CFB.find(cfb, 'EncryptionInfo') !== null;
  } catch {
    // not a readable OLE2 container: no better answer than its signature
  }
  return encrypted
    ? unreadable(
        'the workbook is password-protected (encrypted), so its cells cannot be read; open it in Excel, remove the ' +
          'password (File › Info › Protect Workbook › Encrypt with Password, clear it), save, and upload again',
      )
    : new TaskError(
        415,
        'unsupported_file_type',
        'the file is named as XLSX but its content is an OLE2 compound file (a legacy .xls workbook, not a zip ' +
          'archive); upload it with the .xls extension, or save it as .xlsx in Excel',
      );
}

// ---- bounded inflation ------------------------------------------------------------------------------------

/**
 * Zip-bomb guard. A part is inflated here, not by unzipper, so that the bytes actually produced are counted
 * against the workbook's byte budget while streaming (the sizes in a zip's headers are whatever the writer
 * put there): inflation stops at the chunk that passes it. The CRC-32 is checked at the end, so a damaged
 * part that still inflates is refused, never served altered.
 */
const FEED_BYTES = 16 * 1024;

async function* inflatePart(zip: Package, entry: ZipEntry, where: string): AsyncGenerator<Buffer> {
  const data = compressedData(zip.bytes, entry, where);
  const part = `${where} (${entry.path})`;
  zip.budget.declared(entry.uncompressedSize, part);

  let crc = 0;
  const count = (chunk: Buffer) => {
    zip.budget.inflated(chunk.length, part);
    crc = crc32(chunk, crc);
  };

  if (entry.compressionMethod === 0) {
    for (let at = 0; at < data.length; at += FEED_BYTES) {
      const chunk = data.subarray(at, at + FEED_BYTES);
      count(chunk);
      yield chunk;
    }
  } else if (entry.compressionMethod === 8) {
    const inflater = createInflateRaw();
    const stop = new AbortController();
    const feeding = (async () => {
      for (let at = 0; at < data.length && !stop.signal.aborted; at += FEED_BYTES) {
        if (!inflater.write(data.subarray(at, at + FEED_BYTES))) await once(inflater, 'drain', { signal: stop.signal });
      }
      inflater.end();
    })();
    feeding.catch(() => undefined); // its errors surface through the inflater, read below
    try {
      for await (const chunk of inflater as AsyncIterable<Buffer>) {
        count(chunk);
        yield chunk;
      }
    } finally {
      stop.abort();
      inflater.destroy();
    }
  } else {
    throw unreadable(`${where} (${entry.path}) uses zip compression method ${entry.compressionMethod}, not deflate; re-save the file in Excel`);
  }
  if (crc >>> 0 !== entry.crc32 >>> 0) {
    throw unreadable(`${where} (${entry.path}) is damaged: its content does not match its checksum; re-save the file in Excel and upload again`);
  }
}

/** The compressed bytes of an entry, located through its local header. */
function compressedData(bytes: Buffer, entry: ZipEntry, where: string): Buffer {
  const at = entry.offsetToLocalFileHeader;
  if (entry.flags & 0x1) throw unreadable(`${where} (${entry.path}) is encrypted; remove the password in Excel and upload again`);
  if (at + 30 > bytes.length || bytes.readUInt32LE(at) !== 0x04034b50) {
    throw unreadable(`${where} (${entry.path}) is damaged: the zip archive does not hold it where its directory says; re-save the file in Excel`);
  }
  const start = at + 30 + bytes.readUInt16LE(at + 26) + bytes.readUInt16LE(at + 28);
  if (start + entry.compressedSize > bytes.length) {
    throw unreadable(`${where} (${entry.path}) is damaged: the file ends inside it (truncated upload?); re-save the file in Excel`);
  }
  return bytes.subarray(start, start + entry.compressedSize);
}

// ---- XML ---------------------------------------------------------------------------------------------------

interface XmlHandler {
  open?(name: string, attrs: Attrs): void;
  text?(text: string): void;
  close?(name: string): void;
}

/**
 * Streams one part through saxes. Element names lose their namespace prefix (`x:row` → `row`), since some
 * writers prefix the main namespace. `where` names the part for error messages.
 */
async function parseXml(zip: Package, path: string, where: string, handler: XmlHandler): Promise<void> {
  const entry = zip.get(path);
  if (!entry) throw unreadable(`${where} is missing from the file (${path}); re-save it in Excel and upload again`);
  const parser = new SaxesParser({ position: false });
  let xmlError: Error | undefined;
  parser.on('error', (err) => (xmlError ??= err));
  if (handler.open) parser.on('opentag', (tag) => handler.open!(localName(tag.name), tag.attributes));
  if (handler.close) parser.on('closetag', (tag) => handler.close!(localName(tag.name)));
  if (handler.text) {
    parser.on('text', handler.text);
    parser.on('cdata', handler.text);
  }
  const decoder = new TextDecoder('utf-8'); // stream mode keeps characters split across chunks whole
  try {
    for await (const chunk of inflatePart(zip, entry, where)) {
      parser.write(decoder.decode(chunk, { stream: true }));
      if (xmlError) throw xmlError;
    }
    parser.write(decoder.decode());
    parser.close();
    if (xmlError) throw xmlError;
  } catch (err) {
    if (err instanceof TaskError) throw err;
    if (err instanceof RangeError && /string length/i.test(err.message)) {
      // V8's own limit (2^29 − 24 characters): one value longer than that cannot be held at all.
      throw tooComplex(`${where} holds a text longer than the 536,870,888 characters a JavaScript string can hold, so it was not read`);
    }
    throw unreadable(
      `${where} is damaged and could not be read (${firstLine(err)}); re-save the file in Excel and upload again`,
    );
  }
}

function localName(name: string): string {
  return name.slice(name.indexOf(':') + 1);
}

/** Excel writes characters XML cannot hold as `_xHHHH_` (`_x000D_` for CR; `_x005F_` escapes `_`). */
function unescapeText(s: string): string {
  if (!s.includes('_x')) return s;
  return s.replace(/_x([0-9A-Fa-f]{4})_/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

function firstLine(err: unknown): string {
  return String(err instanceof Error ? err.message : err).split('\n')[0];
}

// ---- workbook: sheets, date system, styles, shared strings --------------------------------------------

interface SheetRef {
  name: string;
  path: string;
}
interface Workbook {
  sheets: SheetRef[];
  /** Chart, dialog and macro sheets: listed by the workbook, no cells. */
  otherSheets: string[];
  date1904: boolean;
  /** Per cell-format (xf) index: what its number format shows (a date, a time, a duration, a number…). */
  formatKinds: FormatKind[];
  sharedStrings: string[];
}
interface Relationship {
  type: string;
  target: string;
}

async function readWorkbook(zip: Package): Promise<Workbook> {
  const rootRels = zip.has('_rels/.rels') ? await readRels(zip, '') : new Map<string, Relationship>();
  const bookPath = [...rootRels.values()].find((r) => r.type.endsWith('/officeDocument'))?.target ?? 'xl/workbook.xml';
  if (!zip.has(bookPath)) {
    throw unreadable(
      'not an Excel workbook: the zip archive has no workbook part; open it in Excel and save it as .xlsx',
    );
  }

  const listed: { name: string; rId: string }[] = [];
  let date1904 = false;
  let isWorkbook = false;
  await parseXml(zip, bookPath, 'the workbook part', {
    open(name, attrs) {
      if (name === 'workbook') isWorkbook = true;
      else if (name === 'workbookPr') date1904 = attrs.date1904 === '1' || attrs.date1904 === 'true';
      else if (name === 'sheet') listed.push({ name: attrs.name ?? '', rId: relId(attrs) });
    },
  });

  if (!isWorkbook) throw unreadable('not an Excel workbook: the zip archive holds another kind of document');

  const rels = await readRels(zip, bookPath);
  const sheets: SheetRef[] = [];
  const otherSheets: string[] = [];
  for (const { name, rId } of listed) {
    const rel = rels.get(rId);
    if (!rel) {
      throw unreadable(`sheet "${name}" has no link to its data; re-save the file in Excel and upload again`);
    }
    // Chart sheets, dialog sheets and Excel 4 macro sheets hold no table.
    if (rel.type.endsWith('/worksheet')) sheets.push({ name, path: rel.target });
    else otherSheets.push(name);
  }

  const partOf = (suffix: string) => [...rels.values()].find((r) => r.type.endsWith(suffix))?.target;
  const stylesPath = partOf('/styles');
  const stringsPath = partOf('/sharedStrings');
  return {
    sheets,
    otherSheets,
    date1904,
    formatKinds: stylesPath && zip.has(stylesPath) ? await readFormatKinds(zip, stylesPath) : [],
    sharedStrings: stringsPath && zip.has(stringsPath) ? await readSharedStrings(zip, stringsPath) : [],
  };
}

/** The `r:id` attribute, whatever prefix the writer gave the relationships namespace. */
function relId(attrs: Attrs): string {
  const key = Object.keys(attrs).find((k) => k.endsWith(':id'));
  return key ? attrs[key] : '';
}

/** A part's relationships (from `dir/_rels/name.rels`), Id → type and resolved target part name. */
async function readRels(zip: Package, partPath: string): Promise<Map<string, Relationship>> {
  const dir = partPath.slice(0, partPath.lastIndexOf('/') + 1);
  const relsPath = `${dir}_rels/${partPath.slice(dir.length)}.rels`;
  const rels = new Map<string, Relationship>();
  if (!zip.has(relsPath)) return rels;
  await parseXml(zip, relsPath, `the relationships part ${relsPath}`, {
    open(name, attrs) {
      if (name === 'Relationship' && attrs.TargetMode !== 'External' && attrs.Id && attrs.Target) {
        rels.set(attrs.Id, { type: attrs.Type ?? '', target: resolveTarget(dir, attrs.Target) });
      }
    },
  });
  return rels;
}

function resolveTarget(dir: string, target: string): string {
  let decoded = target;
  try {
    decoded = decodeURIComponent(target);
  } catch {
    // not percent-encoded after all
  }
  return normalizePath(decoded.startsWith('/') ? decoded : dir + decoded);
}

function normalizePath(path: string): string {
  const out: string[] = [];
  for (const seg of path.replace(/\\/g, '/').split('/')) {
    if (seg === '..') out.pop();
    else if (seg !== '' && seg !== '.') out.push(seg);
  }
  return out.join('/').toLowerCase();
}

/** The kind of each cell format's (xf's) number format: a custom code from <numFmts>, else a built-in id. */
async function readFormatKinds(zip: Package, path: string): Promise<FormatKind[]> {
  const codes = new Map<number, string>();
  const xfFormats: number[] = [];
  let inCellXfs = false;
  await parseXml(zip, path, 'the styles part', {
    open(name, attrs) {
      if (name === 'numFmt') codes.set(Number(attrs.numFmtId), attrs.formatCode ?? '');
      else if (name === 'cellXfs') inCellXfs = true;
      else if (name === 'xf' && inCellXfs) xfFormats.push(Number(attrs.numFmtId ?? 0));
    },
    close(name) {
      if (name === 'cellXfs') inCellXfs = false;
    },
  });
  return xfFormats.map((id) => {
    const code = codes.get(id);
    return code === undefined ? builtinFormatKind(id) : formatKind(code);
  });
}

async function readSharedStrings(zip: Package, path: string): Promise<string[]> {
  const strings: string[] = [];
  let text: string | null = null; // the current <si>'s text, or null outside one
  let inText = false;
  let inPhonetic = false; // <rPh> runs hold a reading guide for East Asian text, not cell text
  await parseXml(zip, path, 'the shared strings table', {
    open(name) {
      if (name === 'si') text = '';
      else if (name === 'rPh') inPhonetic = true;
      else if (name === 't' && text !== null && !inPhonetic) inText = true;
    },
    text(t) {
      if (inText) text += t;
    },
    close(name) {
      if (name === 't') inText = false;
      else if (name === 'rPh') inPhonetic = false;
      else if (name === 'si') {
        zip.budget.cell(() => `the shared strings table, item ${strings.length + 1}`);
        strings.push(unescapeText(text ?? ''));
        text = null;
      }
    },
  });
  return strings;
}

// ---- worksheets ----------------------------------------------------------------------------------------

const MAX_ROWS = 1_048_576;
const MAX_COLUMNS = 16_384;

interface PendingCell {
  ref: string;
  col: number;
  type: string;
  style: number;
  value: string | null; // <v> text
  inline: string | null; // <is> text
}

/** Reads one worksheet into rows of cells (sheet row n → grid[n − 1]; missing rows are holes). */
async function readSheet(zip: Package, book: Workbook, sheet: SheetRef): Promise<CellValue[][]> {
  const grid: CellValue[][] = [];
  const where = `sheet "${sheet.name}"`;
  let inSheetData = false;
  let row: CellValue[] | null = null;
  let rowNumber = 0;
  let nextCol = 0;
  let cell: PendingCell | null = null;
  let capture: 'v' | 't' | null = null;
  let inPhonetic = false;

  const fail = (detail: string): never => {
    throw unreadable(`${where}, cell ${cell?.ref}: ${detail}`);
  };

  const valueOf = (c: PendingCell): CellValue => {
    const v = c.value;
    switch (c.type) {
      case 's': {
        if (v === null) return null;
        const s = book.sharedStrings[Number(v)];
        return s ?? fail(`it refers to shared string #${v}, which the file does not contain`);
      }
      case 'str': // a formula's text result
        return v === null ? null : unescapeText(v);
      case 'inlineStr':
        return unescapeText(c.inline ?? v ?? '');
      case 'b':
        return v === null ? null : v.trim() === '1' || v.trim().toLowerCase() === 'true';
      case 'e': // an error value such as #DIV/0!
        return v === null ? null : v.trim();
      case 'd':
        return v === null ? null : (parseIsoDate(v) ?? fail(`"${v}" is not an ISO 8601 date`));
      case 'n': {
        if (v === null) return null; // no <v>, or an empty one (see the 'c' close below)
        const n = Number(v);
        if (!Number.isFinite(n)) return fail(`"${v}" is not a number`);
        return excelNumberToCell(n, book.formatKinds[c.style] ?? 'number', book.date1904);
      }
      default:
        return fail(`it has an unknown cell type "${c.type}"`);
    }
  };

  await parseXml(zip, sheet.path, where, {
    open(name, attrs) {
      if (name === 'sheetData') inSheetData = true;
      else if (!inSheetData) return;
      else if (name === 'row') {
        rowNumber = attrs.r ? Number(attrs.r) : rowNumber + 1;
        if (!Number.isInteger(rowNumber) || rowNumber < 1 || rowNumber > MAX_ROWS) {
          throw unreadable(`${where}: a row has the invalid row number "${attrs.r ?? rowNumber}"`);
        }
        row = grid[rowNumber - 1] ??= [];
        nextCol = 0;
      } else if (name === 'c' && row) {
        const col = attrs.r ? columnOf(attrs.r) : nextCol;
        if (col < 0 || col >= MAX_COLUMNS) {
          const ref = attrs.r ?? columnLetters(col);
          throw unreadable(`${where}, row ${rowNumber}: a cell has the invalid reference "${ref}"`);
        }
        const ref = attrs.r ?? `${columnLetters(col)}${rowNumber}`;
        cell = { ref, col, type: attrs.t ?? 'n', style: Number(attrs.s ?? 0), value: null, inline: null };
      } else if (!cell) return;
      else if (name === 'v') {
        cell.value = '';
        capture = 'v';
      } else if (name === 'is') cell.inline = '';
      else if (name === 'rPh') inPhonetic = true;
      else if (name === 't' && cell.inline !== null && !inPhonetic) capture = 't';
    },
    text(t) {
      if (capture === 'v') cell!.value += t;
      else if (capture === 't') cell!.inline += t;
    },
    close(name) {
      if (name === 'v' || name === 't') capture = null;
      else if (name === 'rPh') inPhonetic = false;
      else if (name === 'c' && cell && row) {
        // No <v>, or an empty one (openpyxl writes `<f>A2*B2</f><v></v>`): no value, e.g. a formula never calculated.
        // (A formula's text result, t="str", keeps its spaces; an empty one is null anyway.)
        if (cell.type !== 'str' && cell.value?.trim() === '') cell.value = null;
        const value = valueOf(cell);
        if (value !== null) {
          zip.budget.cell(() => `${where}, cell ${cell!.ref}`);
          row[cell.col] = value;
        }
        nextCol = cell.col + 1;
        cell = null;
      } else if (name === 'row') row = null;
      else if (name === 'sheetData') inSheetData = false;
    },
  });
  return grid;
}

/** 0-based column of an A1 reference ("AB12" → 27), or −1 if it has no column letters. Runs per cell. */
function columnOf(ref: string): number {
  let col = 0;
  let i = ref.charCodeAt(0) === 36 ? 1 : 0; // skip a leading $
  const start = i;
  for (; i < ref.length; i++) {
    const ch = ref.charCodeAt(i) | 0x20; // lower case
    if (ch < 97 || ch > 122) break;
    col = col * 26 + (ch - 96);
  }
  return i > start && i - start <= 3 ? col - 1 : -1;
}

function columnLetters(col: number): string {
  let s = '';
  for (let n = col + 1; n > 0; n = Math.floor((n - 1) / 26)) s = String.fromCharCode(65 + ((n - 1) % 26)) + s;
  return s;
}

// YYYY-MM-DD, optionally with THH:MM[:SS[.fff…]] and a zone
const ISO_DATE = /^(\d{4})-(\d\d)-(\d\d)(?:[T ](\d\d):(\d\d)(?::(\d\d)(?:\.(\d{1,3})\d*)?)?)?(?:Z|[+-]\d\d:?\d\d)?$/;

/** `t="d"` cells hold ISO 8601 text; we keep its wall-clock fields and ignore any zone. */
function parseIsoDate(text: string): Date | null {
  const m = ISO_DATE.exec(text.trim());
  if (!m) return null;
  const [y, mo, d, h, mi, s] = m.slice(1, 7).map((part) => Number(part ?? 0));
  const date = new Date(Date.UTC(y, mo - 1, d, h, mi, s, Number((m[7] ?? '0').padEnd(3, '0'))));
  date.setUTCFullYear(y); // Date.UTC maps years 0–99 to 1900–1999
  const valid = date.getUTCMonth() === mo - 1 && date.getUTCDate() === d && h < 24 && mi < 60 && s < 60;
  return valid ? date : null;
}
