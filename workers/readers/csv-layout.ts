import { unreadable } from '../task-error.js';

const QUOTE = 0x22;
const LF = 0x0a;
const CR = 0x0d;
const DELIMITERS = [0x2c, 0x3b, 0x09, 0x7c]; // , ; tab |
const DELIMITER_NAMES: Record<number, string> = { 0x2c: 'comma', 0x3b: 'semicolon', 0x09: 'tab', 0x7c: 'pipe' };
export const MAX_COLUMNS = 16_384;

export interface CsvLayout {
  delimiter: string;
  header: string[];
  /** Bytes Polars should parse: the input, or a copy without blank lines. */
  body: Uint8Array;
}

/**
 * One pass over the whole file, before Polars sees it, for what Polars would otherwise get wrong silently:
 * it drops fields beyond the header's count and turns blank lines into rows of nulls. Here every record
 * must have exactly the header's number of fields (a 422 names the first line that does not), quotes must
 * close, and blank lines are left out. Quote rules match Polars': a quote opens a field only at its start,
 * and `""` inside a quoted field is one quote.
 */
export function csvLayout(bytes: Uint8Array): CsvLayout {
  if (bytes.length === 0) throw unreadable('the file is empty: a CSV needs at least a header line');
  const delimiter = detectDelimiter(bytes.subarray(0, 1 << 16));
  const blankLines: [number, number][] = [];
  let header: string[] | undefined;
  let expected = 0;

  let line = 1; // physical line of the current byte
  let recordLine = 1; // line where the current record began
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
    } else if (contentEnd === recordStart) {
      blankLines.push([recordStart, Math.min(end + 1, bytes.length)]);
    } else if (fields !== expected) {
      throw unreadable(
        `line ${recordLine} has ${fields} field${fields === 1 ? '' : 's'} but the header has ${expected} ` +
          `(${DELIMITER_NAMES[delimiter]}-delimited); quote values that contain the delimiter`,
      );
    }
  };

  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    if (quotedFrom >= 0) {
      if (b === QUOTE) {
        if (bytes[i + 1] === QUOTE) i++;
        else quotedFrom = -1;
      } else if (b === LF) line++;
      continue;
    }
    if (b === delimiter) {
      if (header === undefined) {
        headerFields.push([fieldStart, i]);
        // A long line of delimiters (or a binary-ish file) would be millions of columns: the header's names
        // alone would exhaust the parser's heap, which takes the whole process down.
        if (headerFields.length >= MAX_COLUMNS) {
          throw unreadable(
            `line 1 (the header) has more than ${MAX_COLUMNS} ${DELIMITER_NAMES[delimiter]}-separated fields; ` +
              `at most ${MAX_COLUMNS} columns are supported (as in Excel) — check the delimiter, or split the file`,
          );
        }
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
  if (!header || header.every((h) => h === '')) throw unreadable('the header line (line 1) is empty');

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
