/**
 * CSV corpus: each case is the bytes of a file and what the service must answer — the exact rows, or a 4xx
 * whose detail names the problem (and the line).
 */

export interface Refusal {
  status: number;
  code: string;
  /** What the detail must say: the problem and where. */
  detail: RegExp;
}

export interface Accepted {
  columns: string[];
  /** Every row, as the JSON page must hold it. */
  rows: Record<string, unknown>[];
  types?: Record<string, string>;
}

export interface CsvCase {
  name: string;
  file: string;
  bytes: Buffer;
  expect: Refusal | Accepted;
}

const utf8 = (s: string) => Buffer.from(s, 'utf8');

function utf16be(s: string): Buffer {
  const le = Buffer.from(s, 'utf16le');
  for (let i = 0; i < le.length; i += 2) [le[i], le[i + 1]] = [le[i + 1], le[i]];
  return le;
}

const INTL = [
  { name: 'José', city: 'Zürich', note: 'naïve café' },
  { name: '日本', city: '東京', note: '😀 emoji, "quoted"' },
];
const INTL_TEXT = 'name,city,note\nJosé,Zürich,naïve café\n日本,東京,"😀 emoji, ""quoted"""\n';

/** The late-mixed column: integers for 59,999 rows, then text; every value must come back as written. */
export const LATE_ROWS = 60_000;
function lateMixed(): { text: string; rows: Record<string, unknown>[] } {
  const rows: Record<string, unknown>[] = [];
  const lines = ['n,code'];
  for (let i = 1; i <= LATE_ROWS; i++) {
    const code = i === LATE_ROWS ? 'N/A' : i === 3 ? '007' : String(i * 13);
    lines.push(`${i},${code}`);
    rows.push({ n: i, code });
  }
  return { text: lines.join('\n') + '\n', rows };
}

export function csvCases(): CsvCase[] {
  const late = lateMixed();
  return [
    {
      name: 'ragged: a row with more fields than the header',
      file: 'ragged-more.csv',
      bytes: utf8('a,b,c\n1,2,3\n4,5,6,7\n8,9,10\n'),
      expect: { status: 422, code: 'unreadable_file', detail: /line 3 has 4 fields but the header has 3/ },
    },
    {
      name: 'ragged: a row with fewer fields than the header',
      file: 'ragged-fewer.csv',
      bytes: utf8('a,b,c\n1,2,3\n4,5,6\n7,8\n'),
      expect: { status: 422, code: 'unreadable_file', detail: /line 4 has 2 fields but the header has 3/ },
    },
    {
      name: 'ragged after a quoted multi-line field (line numbers count physical lines)',
      file: 'ragged-after-multiline.csv',
      bytes: utf8('a,b\n1,"two\nlines"\n3\n'),
      expect: { status: 422, code: 'unreadable_file', detail: /line 4 has 1 field but the header has 2/ },
    },
    {
      name: 'unterminated quote',
      file: 'open-quote.csv',
      bytes: utf8('a,b\n1,ok\n2,"never closed\n3,x\n4,y\n'),
      expect: { status: 422, code: 'unreadable_file', detail: /quoted field that starts on line 3 is never closed/ },
    },
    {
      name: 'invalid UTF-8',
      file: 'bad-utf8.csv',
      bytes: Buffer.concat([utf8('a,b\n1,ok\n2,'), Buffer.from([0xc3, 0x28]), utf8('\n')]),
      expect: { status: 422, code: 'unreadable_file', detail: /line 3 is not valid UTF-8 \(byte 0xc3 at offset 11\)/ },
    },
    {
      name: 'Latin-1 text',
      file: 'latin1.csv',
      bytes: Buffer.from('name,city\nPeter,Berlin\nJosé,Zürich\n', 'latin1'),
      expect: { status: 422, code: 'unreadable_file', detail: /line 3 is not valid UTF-8.*Latin-1/ },
    },
    {
      name: 'UTF-16 LE with BOM',
      file: 'utf16le.csv',
      bytes: Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(INTL_TEXT, 'utf16le')]),
      expect: { columns: ['name', 'city', 'note'], rows: INTL },
    },
    {
      name: 'UTF-16 BE with BOM',
      file: 'utf16be.csv',
      bytes: Buffer.concat([Buffer.from([0xfe, 0xff]), utf16be(INTL_TEXT)]),
      expect: { columns: ['name', 'city', 'note'], rows: INTL },
    },
    {
      name: 'UTF-16 LE with an unpaired surrogate',
      file: 'utf16-broken.csv',
      bytes: Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('a,b\n1,x\n2,', 'utf16le'), Buffer.from([0x00, 0xd8]), Buffer.from('y\n', 'utf16le')]),
      expect: { status: 422, code: 'unreadable_file', detail: /line 3 is not valid UTF-16LE \(an unpaired surrogate at byte offset 22\)/ },
    },
    {
      name: 'UTF-8 with BOM',
      file: 'utf8-bom.csv',
      bytes: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), utf8(INTL_TEXT)]),
      expect: { columns: ['name', 'city', 'note'], rows: INTL },
    },
    {
      name: 'duplicate and empty header names',
      file: 'headers.csv',
      bytes: utf8('a,a,,b,a, ,a_2\n1,2,3,4,5,6,7\n'),
      expect: {
        columns: ['a', 'a_3', 'column_3', 'b', 'a_4', 'column_6', 'a_2'],
        rows: [{ a: 1, a_3: 2, column_3: 3, b: 4, a_4: 5, column_6: 6, a_2: 7 }],
      },
    },
    {
      name: 'a header only (0 rows)',
      file: 'header-only.csv',
      bytes: utf8('id,name,when\n'),
      expect: { columns: ['id', 'name', 'when'], rows: [] },
    },
    {
      name: 'an empty file',
      file: 'empty.csv',
      bytes: Buffer.alloc(0),
      expect: { status: 422, code: 'unreadable_file', detail: /empty/ },
    },
    {
      name: 'only blank lines',
      file: 'blank.csv',
      bytes: utf8('\n\n\r\n'),
      expect: { status: 422, code: 'unreadable_file', detail: /header line \(line 1\) is empty/ },
    },
    {
      name: 'numbers past 64 bits stay exact, as Decimal(38, 0)',
      file: 'big-numbers.csv',
      bytes: utf8('id,big,edge\n1,123456789012345678901234567890,9223372036854775807\n2,-99999999999999999999,-9223372036854775808\n3,9223372036854775808,0\n'),
      expect: {
        columns: ['id', 'big', 'edge'],
        rows: [
          { id: 1, big: '123456789012345678901234567890', edge: 9223372036854775807n },
          { id: 2, big: '-99999999999999999999', edge: -9223372036854775808n },
          { id: 3, big: '9223372036854775808', edge: 0 },
        ],
        types: { id: 'integer', big: 'decimal', edge: 'integer' },
      },
    },
    {
      name: 'mixed types late in a column: text, every value kept',
      file: 'late-mixed.csv',
      bytes: utf8(late.text),
      expect: { columns: ['n', 'code'], rows: late.rows, types: { n: 'integer', code: 'string' } },
    },
    {
      name: 'classic Mac line endings (CR only)',
      file: 'mac.csv',
      bytes: utf8('a,b\r1,x\r2,"y\rz"\r3,5" screen\r'),
      // A CR inside quotes is part of the value; a quote inside an unquoted field is just a character.
      expect: { columns: ['a', 'b'], rows: [{ a: 1, b: 'x' }, { a: 2, b: 'y\rz' }, { a: 3, b: '5" screen' }] },
    },
    {
      name: 'Windows line endings, quoted CRLF kept inside a value',
      file: 'crlf.csv',
      bytes: utf8('a,b\r\n1,"p\r\nq"\r\n2,r\r\n'),
      expect: { columns: ['a', 'b'], rows: [{ a: 1, b: 'p\r\nq' }, { a: 2, b: 'r' }] },
    },
    {
      name: 'NUL bytes in a CSV',
      file: 'nul.csv',
      bytes: Buffer.concat([utf8('a,b\n1,'), Buffer.from([0]), utf8('x\n')]),
      expect: { status: 415, code: 'unsupported_file_type', detail: /binary data/ },
    },
  ];
}

/**
 * One line of 100 MB: a header `id,blob` and a single row whose second field is 100 MB of text. Built as
 * one Buffer (the expected value is checked by length and a hash, not held twice as a JS string).
 */
export const LONG_LINE_BYTES = 100 * 1024 * 1024;
export function longLine(): Buffer {
  const head = Buffer.from('id,blob\n1,');
  const out = Buffer.alloc(head.length + LONG_LINE_BYTES + 1);
  head.copy(out, 0);
  const pattern = Buffer.from('abcdefghijklmnopqrstuvwxyz0123456789');
  for (let at = head.length; at < head.length + LONG_LINE_BYTES; at += pattern.length) pattern.copy(out, at, 0, Math.min(pattern.length, head.length + LONG_LINE_BYTES - at));
  out[out.length - 1] = 0x0a;
  return out;
}

/** A 100 MB line of delimiters: a header of millions of columns. */
export function wideLine(): Buffer {
  return Buffer.alloc(LONG_LINE_BYTES, 'x,');
}
