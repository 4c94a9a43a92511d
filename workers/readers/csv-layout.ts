import { unreadable } from '../task-error.js';

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const LF = 0x0a;
const CR = 0x0d;
const DELIMITERS = [0x2c, 0x3b, 0x09, 0x7c]; // , ; tab |
const DELIMITER_NAMES: Record<number, string> = { 0x2c: 'comma', 0x3b: 'semicolon', 0x09: 'tab', 0x7c: 'pipe' };
export const MAX_COLUMNS = 16_384;

export interface CsvLayout {
  delimiter: string;
  /** How the delimiter was decided: Excel's `sep=` first line, or detected from the first lines. */
  delimiterFrom: 'form' | 'sep_line' | 'detected';
  /** How quotes inside quoted fields are escaped: doubled (RFC 4180), or with a backslash (MySQL exports). */
  quoteEscape: 'doubled' | 'backslash';
  header: string[];
  /** Bytes Polars should parse: the input, or a copy without blank lines (and the `sep=` line). */
  body: Uint8Array;
  /**
   * Set when the records are still to be checked (a file with no quote, whose body is then the input as it
   * is, so Polars may read it meanwhile); throws the 422 csvLayout would have, or BlankLines. The caller runs
   * it before it keeps anything. `read`: what Polars' text read found (see PolarsRead); without it, or when
   * its figures do not add up, every line is checked one by one.
   */
  checkRecords?: (read?: PolarsRead) => void;
}

/**
 * What a Polars text read of a quote-free body tells the record check, when Polars was told to refuse a line
 * with more fields than the header (`truncateRaggedLines: false`, csv.ts's TEXT_READ) and it did not:
 * `lines`, the lines it read (the header's included); `lastColumnFull`, its last column has no null. A line
 * with fewer fields than the header leaves the last column null, so with it full no line is short; otherwise
 * the file's delimiters are counted: with no line long, they number lines × (fields − 1) only if no line is short.
 */
export interface PolarsRead {
  lines: number;
  lastColumnFull: boolean;
}

/**
 * One pass over the whole file, before Polars sees it, for what Polars would otherwise get wrong silently:
 * it drops fields beyond the header's count and turns blank lines into rows of nulls. Here every record
 * must have exactly the header's number of fields (a 422 names the first line that does not), quotes must
 * close, and blank lines are left out. Quote rules match Polars': a quote opens a field only at its start,
 * and `""` inside a quoted field is one quote; a closing quote must end its field (anything else is a 422
 * naming the line), except in a file whose quotes are escaped with a backslash (`"He said \"hi\""`, as MySQL
 * writes), which is read as its writer meant: see fromBackslashEscapes.
 * Excel's `sep=X` first line sets the delimiter and is not data (nor a line of the header); a delimiter
 * `given` by the client wins over it and over detection. `firstLine`: the file's line number of input's
 * first line (lines skipped before it still count in error messages).
 */
export function csvLayout(input: Uint8Array, given: { delimiter?: string; firstLine?: number; scanFirst?: boolean } = {}): CsvLayout {
  if (input.length === 0) throw unreadable('the file is empty: a CSV needs at least a header line');
  const hint = sepLine(input);
  const bytes = hint ? input.subarray(hint.length) : input;
  const delimiter = given.delimiter?.charCodeAt(0) ?? hint?.delimiter ?? detectDelimiter(bytes.subarray(0, 1 << 16));
  const firstLine = (given.firstLine ?? 1) + (hint ? 1 : 0);
  const delimiterFrom = given.delimiter !== undefined ? 'form' : hint ? 'sep_line' : 'detected';
  if (!given.scanFirst && bytes.indexOf(QUOTE) < 0) {
    const { header } = unquotedHeader(bytes, delimiter, firstLine);
    const checkRecords = (read?: PolarsRead) => {
      // The line-by-line pass cost ~0.6 s of this thread for 127 MB; Polars' own read answers most of it. A blank
      // line reads as a row of nulls, so a full last column also rules blank lines out (the search for them took
      // ~55 ms of 127 MB, on a core Polars' casts want meanwhile).
      if (read && (read.lastColumnFull || (!hasBlankLine(bytes) && countByte(bytes, delimiter) === read.lines * (header.length - 1)))) return;
      if (scanUnquoted(bytes, delimiter, firstLine).body !== bytes) throw new BlankLines();
    };
    return { delimiter: String.fromCharCode(delimiter), header, body: bytes, delimiterFrom, quoteEscape: 'doubled', checkRecords };
  }
  try {
    return { ...scan(bytes, delimiter, firstLine), delimiterFrom, quoteEscape: 'doubled' };
  } catch (err) {
    if (!(err instanceof BackslashEscapes)) throw err;
    return { ...scan(fromBackslashEscapes(bytes), delimiter, firstLine), delimiterFrom, quoteEscape: 'backslash' };
  }
}

/**
 * Thrown by checkRecords when a line is blank: the body read meanwhile holds rows that are no records, so
 * the caller lays the file out again with `scanFirst` (blank lines are rare; searching for them up front
 * cost more than this).
 */
export class BlankLines extends Error {}

/** Raised by scan on a closing quote right after a backslash with more of the field after it: `"a \"b\""`. */
class BackslashEscapes extends Error {}

/**
 * Excel's delimiter hint: a first line `sep=X` (X one character), as Excel writes and reads it for locales
 * whose list separator is not a comma. Returns the delimiter and the length of that line with its line break.
 */
function sepLine(bytes: Uint8Array): { delimiter: number; length: number } | undefined {
  const head = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.length, 8)).toString('latin1');
  const m = /^sep=([^\r\n])(\r?\n|$)/i.exec(head);
  return m ? { delimiter: m[1].charCodeAt(0), length: m[0].length } : undefined;
}

/**
 * A copy of a backslash-escaped file in the RFC 4180 form Polars reads: inside quoted fields `\"` becomes
 * `""` (one quote) and `\\` one backslash — the two escapes MySQL's `FIELDS ENCLOSED BY '"' ESCAPED BY '\\'`
 * writes there. Any other backslash, and everything outside quotes, is kept as written.
 */
function fromBackslashEscapes(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(bytes.length * 2);
  let n = 0;
  let quoted = false;
  let atFieldStart = true;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    if (quoted) {
      if (b === BACKSLASH && bytes[i + 1] === QUOTE) {
        out[n++] = QUOTE;
        out[n++] = QUOTE;
        i++;
        continue;
      }
      if (b === BACKSLASH && bytes[i + 1] === BACKSLASH) i++;
      else if (b === QUOTE) quoted = false;
      out[n++] = bytes[i];
      continue;
    }
    if (b === QUOTE && atFieldStart) quoted = true;
    out[n++] = b;
    atFieldStart = b === LF || b === CR || DELIMITERS.includes(b);
  }
  return out.subarray(0, n);
}

type Scanned = Omit<CsvLayout, 'delimiterFrom' | 'quoteEscape'>;

const nameOf = (delimiter: number) => DELIMITER_NAMES[delimiter] ?? JSON.stringify(String.fromCharCode(delimiter));

/** The 422 for a record whose field count differs from the header's. */
function ragged(line: number, fields: number, expected: number, delimiter: number): Error {
  return unreadable(
    `line ${line} has ${fields} field${fields === 1 ? '' : 's'} but the header has ${expected} ` +
      `(${nameOf(delimiter)}-delimited); quote values that contain the delimiter`,
  );
}

/** The 422 for a header line with more fields than MAX_COLUMNS. */
function tooWide(firstLine: number, delimiter: number): Error {
  // A long line of delimiters (or a binary-ish file) would be millions of columns: the header's names
  // alone would exhaust the parser's heap, which takes the whole process down.
  return unreadable(
    `line ${firstLine} (the header) has more than ${MAX_COLUMNS} ${nameOf(delimiter)}-separated fields; ` +
      `at most ${MAX_COLUMNS} columns are supported (as in Excel) — check the delimiter, or split the file`,
  );
}

function scan(bytes: Uint8Array, delimiter: number, firstLine: number): Scanned {
  // No quote anywhere (one native search): every line is a record, counted by the cheaper loop.
  return bytes.indexOf(QUOTE) < 0 ? scanUnquoted(bytes, delimiter, firstLine) : scanQuoted(bytes, delimiter, firstLine);
}

/**
 * scanQuoted's checks for a file without any quote: a record is a line, so each line is found by a native
 * search and only its delimiters are counted here (about twice as fast as the byte-by-byte state machine).
 */
function scanUnquoted(bytes: Uint8Array, delimiter: number, firstLine: number): Scanned {
  const lineEnd = (from: number) => {
    const lf = bytes.indexOf(LF, from);
    return lf < 0 ? bytes.length : lf;
  };
  const contentEnd = (start: number, end: number) => (end > start && bytes[end - 1] === CR ? end - 1 : end);
  const { header, end: headerEnd } = unquotedHeader(bytes, delimiter, firstLine);
  const expected = header.length;
  const blankLines: [number, number][] = [];
  let line = firstLine + 1;
  for (let start = headerEnd + 1; start < bytes.length; line++) {
    const end = lineEnd(start);
    let fields = 1;
    for (let i = start; i < end; i++) if (bytes[i] === delimiter) fields++;
    if (contentEnd(start, end) === start) blankLines.push([start, Math.min(end + 1, bytes.length)]);
    else if (fields !== expected) throw ragged(line, fields, expected, delimiter);
    start = end + 1;
  }
  return { delimiter: String.fromCharCode(delimiter), header, body: withoutRanges(bytes, blankLines) };
}

/** True when a line of `bytes` is empty or only a CR (the first line is the header, checked elsewhere). */
function hasBlankLine(bytes: Uint8Array): boolean {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return b.includes('\n\n') || b.includes('\n\r\n') || (b.length >= 2 && b[b.length - 2] === LF && b[b.length - 1] === CR);
}

/** How many bytes of `bytes` are `byte`: one pass, ~0.17 s for 127 MB here. */
function countByte(bytes: Uint8Array, byte: number): number {
  let n = 0;
  for (let i = 0; i < bytes.length; i++) if (bytes[i] === byte) n++;
  return n;
}

/** The first line's fields of a file without quotes, and where that line ends (its LF, or the length). */
function unquotedHeader(bytes: Uint8Array, delimiter: number, firstLine: number): { header: string[]; end: number } {
  let end = bytes.indexOf(LF);
  if (end < 0) end = bytes.length;
  let fields = 1;
  for (let i = 0; i < end; i++) if (bytes[i] === delimiter && ++fields > MAX_COLUMNS) throw tooWide(firstLine, delimiter);
  const content = end > 0 && bytes[end - 1] === CR ? end - 1 : end;
  const header = Buffer.from(bytes.buffer, bytes.byteOffset, content).toString('utf8').split(String.fromCharCode(delimiter));
  if (header.every((h) => h === '')) throw unreadable(`the header line (line ${firstLine}) is empty`);
  return { header, end };
}

function scanQuoted(bytes: Uint8Array, delimiter: number, firstLine: number): Scanned {
  const delimiterName = nameOf(delimiter);
  const blankLines: [number, number][] = [];
  let header: string[] | undefined;
  let expected = 0;

  let line = firstLine; // physical line of the current byte
  let recordLine = firstLine; // line where the current record began
  let recordStart = 0;
  let fields = 1;
  let fieldStart = 0;
  let quotedFrom = -1; // line where an open quote began, -1 when outside quotes
  let headerFields: [number, number][] = [];

  const endRecord = (end: number) => {
    // `end` is the index of the LF (or the length at EOF); a CR before it belongs to the line ending.
    const contentEnd = end > recordStart && bytes[end - 1] === CR ? end - 1 : end;
    if (header === undefined) {
      headerFields.push([fieldStart, contentEnd]);
      header = headerFields.map(([a, b]) => fieldText(bytes, a, b));
      expected = header.length;
      // Said before any record is blamed for differing from it (as scanUnquoted says it).
      if (header.every((h) => h === '')) throw unreadable(`the header line (line ${firstLine}) is empty`);
    } else if (contentEnd === recordStart) {
      blankLines.push([recordStart, Math.min(end + 1, bytes.length)]);
    } else if (fields !== expected) {
      throw ragged(recordLine, fields, expected, delimiter);
    }
  };

  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    if (quotedFrom >= 0) {
      if (b === QUOTE) {
        if (bytes[i + 1] === QUOTE) i++;
        else {
          quotedFrom = -1;
          const next = bytes[i + 1];
          if (i + 1 < bytes.length && next !== delimiter && next !== LF && next !== CR) {
            if (bytes[i - 1] === BACKSLASH) throw new BackslashEscapes();
            throw unreadable(
              `line ${line}: a quoted field's closing quote is followed by ${JSON.stringify(String.fromCharCode(next))} ` +
                `instead of the ${delimiterName} or the end of the line; write a quote inside a quoted field as two quotes ("")`,
            );
          }
        }
      } else if (b === LF) line++;
      continue;
    }
    if (b === delimiter) {
      if (header === undefined) {
        headerFields.push([fieldStart, i]);
        if (headerFields.length >= MAX_COLUMNS) throw tooWide(firstLine, delimiter);
      }
      fields++;
      fieldStart = i + 1;
    } else if (b === LF) {
      endRecord(i);
      line++;
      recordLine = line;
      recordStart = fieldStart = i + 1;
      fields = 1;
    } else if (b === QUOTE && i === fieldStart) {
      quotedFrom = line;
    }
  }
  if (quotedFrom >= 0) throw unreadable(`a quoted field that starts on line ${quotedFrom} is never closed`);
  if (recordStart < bytes.length) endRecord(bytes.length);
  if (!header || header.every((h) => h === '')) throw unreadable(`the header line (line ${firstLine}) is empty`);

  return { delimiter: String.fromCharCode(delimiter), header, body: withoutRanges(bytes, blankLines) };
}

/**
 * The candidate that splits the first lines into the same number (>1) of fields most often; comma when
 * nothing splits (a one-column file).
 */
function detectDelimiter(sample: Uint8Array): number {
  let best = DELIMITERS[0];
  let bestScore = 0;
  for (const d of DELIMITERS) {
    const counts = fieldCounts(sample, d, 50);
    if (counts.length === 0 || counts[0] < 2) continue;
    const consistent = counts.filter((c) => c === counts[0]).length;
    const score = consistent * 1000 + counts[0];
    if (score > bestScore) {
      best = d;
      bestScore = score;
    }
  }
  return best;
}

/** Fields per record for the first `max` complete records of the sample. */
function fieldCounts(sample: Uint8Array, delimiter: number, max: number): number[] {
  const counts: number[] = [];
  let fields = 1;
  let inQuotes = false;
  let fieldStart = 0;
  for (let i = 0; i < sample.length && counts.length < max; i++) {
    const b = sample[i];
    if (inQuotes) {
      if (b === QUOTE) {
        if (sample[i + 1] === QUOTE) i++;
        else inQuotes = false;
      }
    } else if (b === delimiter) {
      fields++;
      fieldStart = i + 1;
    } else if (b === LF) {
      if (i > fieldStart || fields > 1) counts.push(fields);
      fields = 1;
      fieldStart = i + 1;
    } else if (b === QUOTE && i === fieldStart) inQuotes = true;
  }
  if (counts.length === 0 && sample.length > 0) counts.push(fields);
  return counts;
}

function fieldText(bytes: Uint8Array, start: number, end: number): string {
  const raw = Buffer.from(bytes.buffer, bytes.byteOffset + start, end - start).toString('utf8');
  return raw.startsWith('"') && raw.endsWith('"') && raw.length >= 2 ? raw.slice(1, -1).replaceAll('""', '"') : raw;
}

function withoutRanges(bytes: Uint8Array, ranges: [number, number][]): Uint8Array {
  if (ranges.length === 0) return bytes;
  const out = new Uint8Array(bytes.length - ranges.reduce((n, [a, b]) => n + b - a, 0));
  let from = 0;
  let at = 0;
  for (const [a, b] of ranges) {
    out.set(bytes.subarray(from, a), at);
    at += a - from;
    from = b;
  }
  out.set(bytes.subarray(from), at);
  return out;
}
