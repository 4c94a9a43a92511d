/**
 * readCsvFile (the local backend's CSV read, from the staged file) against readCsv of the same bytes: the same
 * frame, report and decisions, or the same refusal, for every file of the CSV corpus and the field cases; and
 * files past 1 MiB (the common case's checks read 1 MiB at a time) against csv-parse's reading.
 */
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import pl from 'nodejs-polars';
import t, { type Test } from 'tap';
import { readCsv, readCsvFile, readCsvMapped, ReadInFull, type CsvRead } from '../../../workers/readers/csv.js';
import { csvCases } from '../../support/corpus/csv.js';
import { FIELD_CASES, fieldCase } from '../../support/field-cases.js';

const dir = mkdtempSync(join(tmpdir(), 'csv-file-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;
function onDisk(bytes: Uint8Array): string {
  const path = join(dir, `${files++}.csv`);
  writeFileSync(path, bytes);
  return path;
}

/** What a read answers, in a form t.same compares: the frame as text cells (every dtype prints), or the error. */
async function outcome(read: () => Promise<CsvRead>): Promise<unknown> {
  try {
    const { sheet, report, decisions } = await read();
    const frame = sheet.frame;
    const text = frame.select(...frame.columns.map((name) => pl.col(name).cast(pl.Utf8)));
    return { dtypes: frame.dtypes.map(String), columns: frame.columns, rows: text.rows(), report, decisions: [...decisions] };
  } catch (err) {
    return { status: (err as { status?: number }).status, error: String((err as Error).message) };
  }
}

/** True when readCsvMapped reads the file itself; false when it hands it to readCsv. */
async function mapped(path: string): Promise<boolean> {
  try {
    await readCsvMapped(path);
    return true;
  } catch (err) {
    if (err instanceof ReadInFull) return false;
    throw err;
  }
}

t.test('every corpus and field-case CSV: readCsvFile answers as readCsv does', async (t) => {
  const inputs = [
    ...csvCases().map((c) => ({ name: c.name, bytes: c.bytes })),
    ...readdirSync(FIELD_CASES)
      .filter((f) => f.endsWith('.csv'))
      .map((f) => ({ name: f, bytes: fieldCase(f) })),
  ];
  let common = 0;
  for (const { name, bytes } of inputs) {
    const path = onDisk(bytes);
    t.same(await outcome(() => readCsvFile(path)), await outcome(() => readCsv(bytes)), name);
    if (await mapped(path)) common++;
  }
  // Not all of them: quotes, BOMs, `sep=` lines, other encodings and refusals go to readCsv.
  t.ok(common > 0 && common < inputs.length, `the common case took ${common} of ${inputs.length} files`);
});

t.test('the common case and what it hands over', async (t) => {
  const plain = onDisk(Buffer.from('a,b\n1,x\n2,y\n'));
  t.equal(await mapped(plain), true, 'a plain file is read from its path');
  for (const [why, bytes] of [
    ['a quote', 'a,b\n1,"x"\n'],
    ['a BOM', '\ufeffa,b\n1,x\n'],
    ['a sep= line', 'sep=;\na;b\n1;x\n'],
    ['no line feed (classic Mac)', 'a,b\r1,x\r'],
    ['an empty last field', 'a,b\n1,\n2,y\n'],
    ['a blank line', 'a,b\n1,x\n\n2,y\n'],
    ['a short line', 'a,b\n1\n2,y\n'],
    ['a long line', 'a,b\n1,x,z\n'],
    ['bytes that are no UTF-8', Buffer.from([0x61, 0x2c, 0x62, 0x0a, 0x31, 0x2c, 0xe9, 0x0a])],
  ] as const) {
    t.equal(await mapped(onDisk(Buffer.from(bytes))), false, `${why}: read by readCsv`);
  }
  const options = [{ encoding: 'windows-1252' }, { skipRows: 1 }, { headerRow: 2 }];
  for (const o of options) t.equal(await readCsvMapped(plain, o).then(() => true, (e) => (e instanceof ReadInFull ? false : e)), false, JSON.stringify(o));
  t.equal(await readCsvMapped(plain, { headerRow: null }).then(() => true), true, 'no header line: still the common case');
});

/**
 * `rows` lines of `id,name,note` after a row 0 (so row i is on line i + 2), names cycling through 1- to 4-byte characters so
 * that 1 MiB boundaries fall inside characters; `at` replaces the line of that id.
 */
function bigFile(rows: number, at: Record<number, string> = {}): Buffer {
  const names = ['plain', 'José', 'Zürich', '東京都', '😀😀', 'naïve café', 'x'];
  const lines: string[] = [];
  for (let i = 1; i <= rows; i++) lines.push(at[i] ?? `${i},${names[i % names.length]}${'😀'.repeat(i % 3)},n${i % 10}`);
  // A first row padded so that the first 1 MiB boundary falls inside a character.
  for (let pad = 0; ; pad++) {
    const bytes = Buffer.from(['id,name,note', `0,${'p'.repeat(pad)},n0`, ...lines].join('\n') + '\n');
    if ((bytes[1 << 20] & 0xc0) === 0x80) return bytes;
  }
}

/** csv-parse's reading (the independent one) beside ours, as text cells. */
function sameAsCsvParse(t: Test, ours: any, bytes: Buffer, label: string): void {
  const theirs: string[][] = parse(bytes, { relax_column_count: false, skip_empty_lines: true, from_line: 2 });
  t.same(
    ours.rows.map((r: (string | null)[]) => r.map((v) => v ?? '')),
    theirs,
    `${label}: every row as csv-parse reads it`,
  );
}

t.test('files past 1 MiB, a chunk boundary inside a character', async (t) => {
  const bytes = bigFile(110_000);
  t.ok(bytes.length > 2 << 20, `${bytes.length} bytes: three chunks`);
  t.equal(bytes[1 << 20] & 0xc0, 0x80, 'the first 1 MiB boundary cuts a character');
  const path = onDisk(bytes);
  t.equal(await mapped(path), true, 'read from its path');
  const ours = await outcome(() => readCsvFile(path));
  t.same(ours, await outcome(() => readCsv(bytes)), 'as readCsv reads it');
  sameAsCsvParse(t, ours, bytes, 'plain');
});

t.test('past the first MiB: a quote, a byte that is no UTF-8, an empty or short field, a blank line', async (t) => {
  const far = 60_000;
  const cases: [string, Buffer][] = [
    ['a quoted field with the delimiter', bigFile(far + 10, { [far]: `${far},"a, b",n0` })],
    ['an empty last field', bigFile(far + 10, { [far]: `${far},x,` })],
    ['a blank line', bigFile(far + 10, { [far]: '' })],
  ];
  for (const [label, bytes] of cases) {
    const path = onDisk(bytes);
    t.equal(await mapped(path), false, `${label}: read by readCsv`);
    const ours = await outcome(() => readCsvFile(path));
    t.same(ours, await outcome(() => readCsv(bytes)), `${label}: as readCsv reads it`);
    sameAsCsvParse(t, ours, bytes, label);
  }
  const invalid = bigFile(far + 10);
  const at = invalid.indexOf(`\n${far},`) + 1;
  t.ok(at > 1 << 20, `row ${far} starts past the first MiB (byte ${at})`);
  invalid[at + String(far).length + 1] = 0xff;
  const short = bigFile(far + 10, { [far]: `${far},x` });
  for (const [label, bytes, detail] of [
    ['a byte that is no UTF-8', invalid, new RegExp(`line ${far + 2} is not valid UTF-8`)],
    ['a short line', short, new RegExp(`line ${far + 2} has 2 fields but the header has 3`)],
  ] as const) {
    const path = onDisk(bytes);
    const ours: any = await outcome(() => readCsvFile(path));
    t.same(ours, await outcome(() => readCsv(bytes)), `${label}: the same refusal as readCsv`);
    t.equal(ours.status, 422, label);
    t.match(ours.error, detail, `${label}: named by its line`);
  }
});
