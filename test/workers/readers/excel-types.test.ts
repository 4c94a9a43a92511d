/**
 * Excel cell types through the real server, both backends, both readers (.xlsx streamed, .xls through SheetJS):
 * times of day, durations, dates before 1900 and around Excel's fictitious 1900-02-29, the 1904 date system,
 * formulas with no cached value.
 *  - The field cases x01–x07 (test/fixtures/field-cases) against the values their README gives, and x01/x02 also
 *    against SheetJS's own rendering of each cell through its number format (an independent reader).
 *  - Workbooks of our own, written by SheetJS as .xlsx and as .xls (BIFF8) from one list of cells whose
 *    expected values are worked out here by hand (serial = days, fractions of a day), never from our readers.
 * Durations are checked in Arrow IPC (read back with apache-arrow), and in JSON and statistics as the README's
 * ISO 8601 durations.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as XLSX from '@e965/xlsx';
import * as A from 'apache-arrow';
import t, { type Test } from 'tap';
import { xlsxPackage } from '../../support/corpus/xlsx.js';
import { BACKENDS, ROOT, type Server, getJson, startServer, upload } from '../../support/server.js';
import { FIELD_CASES } from '../../support/field-cases.js';

const FIELD = FIELD_CASES;
const ARROW = 'application/vnd.apache.arrow.stream';

const DAY = 86_400;
const hms = (h: number, m = 0, s = 0) => (h * 3600 + m * 60 + s) / DAY; // a serial, in days

// ---- workbooks of our own ----------------------------------------------------------------------------------

/** A number cell with its number format, or null (no cell). */
type Cell = { v: number; z: string } | { v: number } | null;
interface Column {
  name: string;
  cells: Cell[];
  /** What the service must serve: portable type, and per row the JSON value (durations: seconds). */
  type: string;
  want: unknown[];
}
interface Sheet {
  name: string;
  columns: Column[];
}

const TIMES: Sheet = {
  name: 'Times',
  columns: [
    {
      name: 'clock', // with milliseconds: the fraction of a second must survive
      cells: [{ v: hms(8, 30), z: 'hh:mm:ss.000' }, { v: hms(12, 0, 0.5), z: 'hh:mm:ss.000' }, { v: hms(23, 59, 59.999), z: 'hh:mm:ss.000' }, null, { v: 0, z: 'hh:mm:ss.000' }],
      type: 'time',
      want: ['08:30:00', '12:00:00.500', '23:59:59.999', null, '00:00:00'],
    },
    { name: 'ampm', cells: [{ v: 0.75, z: 'h:mm AM/PM' }, { v: hms(6, 15), z: '[$-409]h:mm:ss\\ AM/PM;@' }], type: 'time', want: ['18:00:00', '06:15:00'] },
    { name: 'minutes', cells: [{ v: hms(0, 1, 30), z: 'mm:ss' }], type: 'time', want: ['00:01:30'] },
  ],
};

const DURATIONS: Sheet = {
  name: 'Durations',
  columns: [
    { name: 'hours', cells: [{ v: 1.5, z: '[h]:mm:ss' }, { v: 50 / 24, z: '[h]:mm:ss' }, { v: -90 / DAY, z: '[h]:mm:ss' }], type: 'duration', want: [129_600, 180_000, -90] },
    { name: 'minutes', cells: [{ v: 1.5 / 24, z: '[mm]:ss' }, null, { v: 0, z: '[mm]:ss' }], type: 'duration', want: [5_400, null, 0] },
    { name: 'seconds', cells: [{ v: 1.5 / DAY, z: '[ss].000' }, { v: 61.25 / DAY, z: '[s].00' }], type: 'duration', want: [1.5, 61.25] },
  ],
};

const DATES: Sheet = {
  name: 'Dates',
  columns: [
    {
      name: 'day', // LibreOffice's negative serials; serials 1–59 (January–February 1900); the first and last days
      cells: [-693_593, -18_262, -1, 0, 1, 59, 61, 2_958_465].map((v) => ({ v, z: 'yyyy-mm-dd' })),
      type: 'date',
      want: ['0001-01-01', '1849-12-30', '1899-12-29', '1899-12-30', '1900-01-01', '1900-02-28', '1900-03-01', '9999-12-31'],
    },
    {
      name: 'instant',
      cells: [{ v: -0.75, z: 'yyyy-mm-dd hh:mm' }, { v: 1.25, z: 'yyyy-mm-dd hh:mm' }, { v: 44927.5, z: 'd/m/yyyy h:mm' }],
      type: 'datetime',
      want: ['1899-12-29T06:00:00', '1900-01-01T06:00:00', '2023-01-01T12:00:00'],
    },
  ],
};

/** Mixed columns are text; serial 60 (Excel's 1900-02-29, a day that never was) stays its number. */
const MIXED: Sheet = {
  name: 'Mixed',
  columns: [
    { name: 'leap', cells: [59, 60, 61].map((v) => ({ v, z: 'yyyy-mm-dd' })), type: 'string', want: ['1900-02-28', '60', '1900-03-01'] },
    {
      name: 'kinds',
      cells: [{ v: 0.5, z: 'h:mm:ss' }, { v: 1.5, z: '[h]:mm:ss' }, { v: 1.5 / DAY, z: '[s].000' }, { v: 0, z: '[h]:mm' }, { v: 2 }, { v: 45_000, z: 'yyyy-mm-dd' }],
      type: 'string',
      want: ['12:00:00', 'PT129600S', 'PT1.5S', 'P0D', '2', '2023-03-15'],
    },
    // A time format over a serial with a day part: the cell still holds that day, so it is a datetime.
    { name: 'clock_with_day', cells: [{ v: hms(8, 30), z: 'h:mm:ss' }, { v: 1.25, z: 'h:mm:ss' }], type: 'string', want: ['08:30:00', '1900-01-01T06:00:00.000'] },
    { name: 'text_format', cells: [{ v: 42, z: '@' }, { v: 7, z: '@' }], type: 'integer', want: [42, 7] },
  ],
};

/** The 1904 date system: serial 0 is 1904-01-01, no 1900-02-29; times and durations do not depend on it. */
const MAC: Sheet = {
  name: 'Mac',
  columns: [
    { name: 'day', cells: [-1, 0, 59, 60, 61].map((v) => ({ v, z: 'yyyy-mm-dd' })), type: 'date', want: ['1903-12-31', '1904-01-01', '1904-02-29', '1904-03-01', '1904-03-02'] },
    { name: 'clock', cells: [{ v: 0.5, z: 'h:mm:ss' }], type: 'time', want: ['12:00:00'] },
  ],
};
const MAC_DURATIONS: Sheet = {
  name: 'MacDurations',
  columns: [{ name: 'elapsed', cells: [{ v: 1.5, z: '[h]:mm:ss' }], type: 'duration', want: [129_600] },
  ],
};

function sheetOf(spec: Sheet): XLSX.WorkSheet {
  const height = Math.max(...spec.columns.map((c) => c.cells.length));
  const ws: XLSX.WorkSheet = { '!ref': XLSX.utils.encode_range({ r: 0, c: 0 }, { r: height, c: spec.columns.length - 1 }) };
  spec.columns.forEach((col, c) => {
    ws[XLSX.utils.encode_cell({ r: 0, c })] = { t: 's', v: col.name };
    col.cells.forEach((cell, r) => {
      if (cell) ws[XLSX.utils.encode_cell({ r: r + 1, c })] = { t: 'n', ...cell };
    });
  });
  return ws;
}

function workbook(sheets: Sheet[], bookType: 'xlsx' | 'biff8', date1904 = false): Buffer {
  const wb: XLSX.WorkBook = { SheetNames: sheets.map((s) => s.name), Sheets: Object.fromEntries(sheets.map((s) => [s.name, sheetOf(s)])) };
  wb.Workbook = { WBProps: { date1904 } };
  return XLSX.write(wb, { bookType, type: 'buffer' }) as Buffer;
}

/** The number format codes the written file carries, per sheet and cell, read back with SheetJS. */
function writtenFormats(bytes: Buffer, sheets: Sheet[]): { got: (string | undefined)[]; want: (string | undefined)[]; date1904: boolean } {
  const book = XLSX.read(bytes, { type: 'buffer', cellNF: true, cellDates: false });
  const got: (string | undefined)[] = [];
  const want: (string | undefined)[] = [];
  for (const spec of sheets) {
    spec.columns.forEach((col, c) =>
      col.cells.forEach((cell, r) => {
        if (!cell || !('z' in cell)) return;
        want.push(cell.z);
        got.push(book.Sheets[spec.name][XLSX.utils.encode_cell({ r: r + 1, c })]?.z as string | undefined);
      }),
    );
  }
  return { got, want, date1904: book.Workbook?.WBProps?.date1904 === true };
}

/**
 * An .xls whose cell A2 is a formula with no usable cached value. BIFF8 always stores a result in the FORMULA
 * record; the nearest a writer gets to "none" is the empty-string result (type 3), which is written here by
 * turning SheetJS's NUMBER record for A2 into a FORMULA record (`=5`, result empty, recalculate on load).
 */
function xlsWithUncachedFormula(): Buffer {
  const ws = XLSX.utils.aoa_to_sheet([['total', 'qty'], [0, 4], [12, 3]]);
  const bytes = XLSX.write({ SheetNames: ['Calc'], Sheets: { Calc: ws } }, { bookType: 'biff8', type: 'buffer' }) as Buffer;
  const cfb = XLSX.CFB.read(bytes, { type: 'buffer' });
  const stream = XLSX.CFB.find(cfb, 'Workbook');
  if (!stream?.content) throw new Error('no Workbook stream');
  const records = Buffer.from(stream.content as Uint8Array);
  const out: Buffer[] = [];
  let replaced = 0;
  for (let at = 0; at < records.length; ) {
    const type = records.readUInt16LE(at);
    const record = records.subarray(at, at + 4 + records.readUInt16LE(at + 2));
    at += record.length;
    if (type === 0x0203 && record.readUInt16LE(4) === 1 && record.readUInt16LE(6) === 0) {
      const formula = Buffer.alloc(4 + 25);
      formula.writeUInt16LE(0x0006, 0);
      formula.writeUInt16LE(25, 2);
      record.copy(formula, 4, 4, 10); // row, column, cell format
      formula.set([3, 0, 0, 0, 0, 0, 0xff, 0xff], 10); // result: an empty string
      formula.writeUInt16LE(0x0002, 18); // fCalcOnLoad
      formula.writeUInt16LE(3, 24); // 3 bytes of parsed formula:
      formula.set([0x1e, 5, 0], 26); // ptgInt 5
      out.push(formula);
      replaced++;
    } else out.push(record);
  }
  if (replaced !== 1) throw new Error(`expected one NUMBER record at A2, found ${replaced}`);
  stream.content = Buffer.concat(out);
  stream.size = stream.content.length;
  return Buffer.from(XLSX.CFB.write(cfb, { type: 'buffer' }) as Uint8Array);
}

/** An .xlsx with formulas and no cached values: no <v>, an empty <v> (openpyxl), and `<v/>`, for each result type. */
function xlsxWithUncachedFormulas(): Buffer {
  const head = '<row r="1"><c r="A1" t="inlineStr"><is><t>n</t></is></c><c r="B1" t="inlineStr"><is><t>label</t></is></c><c r="C1" t="inlineStr"><is><t>flag</t></is></c><c r="D1" t="inlineStr"><is><t>id</t></is></c></row>';
  const rows = [
    '<row r="2"><c r="A2"><f>1+1</f><v></v></c><c r="B2" t="str"><f>"a"&amp;"b"</f><v></v></c><c r="C2" t="b"><f>TRUE()</f><v></v></c><c r="D2"><v>1</v></c></row>',
    '<row r="3"><c r="A3"><f>2+2</f><v>4</v></c><c r="B3" t="str"><f>"a"&amp;"b"</f><v>ab</v></c><c r="C3" t="b"><f>TRUE()</f><v>1</v></c><c r="D3"><v>2</v></c></row>',
    '<row r="4"><c r="A4"><f>1/0</f></c><c r="B4" t="str"><f>B3</f><v/></c><c r="C4" t="b"><f>C3</f><v> </v></c><c r="D4"><v>3</v></c></row>',
  ];
  const xml =
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">' +
    `<sheetData>${head}${rows.join('')}</sheetData></worksheet>`;
  return xlsxPackage({ sheets: [{ name: 'Calc', xml }] });
}

// ---- reading what the service serves ----------------------------------------------------------------------

async function uploaded(t: Test, server: Server, bytes: Buffer, name: string): Promise<string> {
  const res = await upload(server, bytes, name);
  t.equal(res.status, 201, `${name}: read (${JSON.stringify(res.body).slice(0, 300)})`);
  return `/api/datasets/${res.body.dataset?.id}/versions/${res.body.version?.id}`;
}

async function schemaOf(server: Server, base: string, sheet: string) {
  const res = await getJson(server, `${base}/schema?sheet=${encodeURIComponent(sheet)}`);
  return res.body.columns as { name: string; type: string; dtype: string }[];
}

/** Column name → values, from the whole sheet in Arrow IPC; durations as seconds, times as `HH:MM:SS[.fff]`. */
async function arrowColumns(server: Server, base: string, sheet: string): Promise<Record<string, unknown[]>> {
  const res = await fetch(`${server.url}${base}/data?sheet=${encodeURIComponent(sheet)}`, { headers: { accept: ARROW } });
  if (res.status !== 200) throw new Error(`Arrow ${res.status}: ${await res.text()}`);
  const table = A.tableFromIPC(new Uint8Array(await res.arrayBuffer()));
  const out: Record<string, unknown[]> = {};
  for (const field of table.schema.fields) {
    const vector = table.getChild(field.name)!;
    out[field.name] = Array.from({ length: table.numRows }, (_, i) => {
      const v = vector.get(i);
      if (v === null) return null;
      if (A.DataType.isDuration(field.type)) return Number(v) / [1, 1e3, 1e6, 1e9][field.type.unit];
      return v;
    });
  }
  return out;
}

async function jsonRows(server: Server, base: string, sheet: string): Promise<{ status: number; rows: Record<string, unknown>[] }> {
  const res = await getJson(server, `${base}/data?sheet=${encodeURIComponent(sheet)}&page_size=1000`);
  return { status: res.status, rows: res.body.data };
}

/** Checks a sheet of our own: types, and values (JSON for everything but durations, Arrow for durations). */
async function checkSheet(t: Test, server: Server, base: string, spec: Sheet, label: string) {
  const schema = await schemaOf(server, base, spec.name);
  t.same(schema.map((c) => [c.name, c.type]), spec.columns.map((c) => [c.name, c.type]), `${label} ${spec.name}: column types`);
  const height = Math.max(...spec.columns.map((c) => c.want.length));
  const padded = (c: Column) => Array.from({ length: height }, (_, i) => (i < c.want.length ? c.want[i] : null));
  const durations = spec.columns.filter((c) => c.type === 'duration');
  if (durations.length) {
    const arrow = await arrowColumns(server, base, spec.name);
    for (const c of durations) t.same(arrow[c.name], padded(c), `${label} ${spec.name}.${c.name}: durations in seconds (Arrow)`);
    t.ok(schema.filter((c) => c.type === 'duration').every((c) => c.dtype === 'Duration(ms)'), 'durations in milliseconds');
  }
  const others = spec.columns.filter((c) => c.type !== 'duration');
  if (others.length) {
    const { status, rows } = await jsonRows(server, base, spec.name);
    t.equal(status, 200, `${label} ${spec.name}: JSON page`);
    for (const c of others) {
      const got = rows.map((r) => r[c.name]);
      // JSON datetimes carry the fraction Polars prints; compare them as instants.
      const norm = (v: unknown) => (c.type === 'datetime' && typeof v === 'string' ? Date.parse(`${v}Z`) : v);
      t.same(got.map(norm), padded(c).map(norm), `${label} ${spec.name}.${c.name}: values (JSON)`);
    }
    const stats = await getJson(server, `${base}/statistics?sheet=${encodeURIComponent(spec.name)}`);
    t.equal(stats.status, 200, `${label} ${spec.name}: statistics`);
    for (const c of others.filter((c) => c.type === 'time' || c.type === 'date')) {
      const values = c.want.filter((v): v is string => typeof v === 'string').sort();
      t.match(stats.body.columns?.find((s: any) => s.column_name === c.name), { data_type: c.type, min: values[0], max: values.at(-1) }, `${label} ${spec.name}.${c.name}: min and max`);
    }
  }
}

// SheetJS's rendering of a number through its format: an independent reading of what the cell shows.
const seconds = (text: string) => text.split(':').reduce((acc, part) => acc * 60 + Number(part), 0);

for (const backend of BACKENDS) {
  t.test(`${backend} backend`, async (t) => {
    const server = await startServer(t, { backend });

    t.test('x01: time-only cells are a Time column', async (t) => {
      const bytes = readFileSync(join(FIELD, 'x01_time_only.xlsx'));
      const base = await uploaded(t, server, bytes, 'x01_time_only.xlsx');
      t.same((await schemaOf(server, base, 'Shifts')).map((c) => [c.type, c.dtype]), [['string', 'String'], ['time', 'Time'], ['time', 'Time']]);
      const { rows } = await jsonRows(server, base, 'Shifts');
      t.same(rows.slice(0, 1), [{ employee: 'A', start: '08:30:00', end: '17:00:00' }], 'the README: 08:30:00, 17:00:00');
      // SheetJS shows h:mm:ss ("8:30:00"): the same clock time in every cell.
      const sheet = XLSX.read(bytes, { type: 'buffer' }).Sheets.Shifts;
      const shown = rows.map((_, r) => ['B', 'C'].map((c) => sheet[`${c}${r + 2}`].w.padStart(8, '0')));
      t.same(rows.map((r) => [r.start, r.end]), shown, 'every value as SheetJS renders it');
      const stats = await getJson(server, `${base}/statistics`);
      t.equal(stats.status, 200);
      t.match(stats.body.columns[1], { data_type: 'time', min: '00:00:00', max: '22:00:00' });
      const ndjson = await (await fetch(`${server.url}${base}/data?format=ndjson`)).text();
      t.same(ndjson.trim().split('\n').map((line) => JSON.parse(line)), rows, 'NDJSON export: the same times');
    });

    t.test('x02: elapsed times are a Duration column, 36 h = 129,600 s', async (t) => {
      const bytes = readFileSync(join(FIELD, 'x02_durations.xlsx'));
      const base = await uploaded(t, server, bytes, 'x02_durations.xlsx');
      t.same((await schemaOf(server, base, 'Durations')).map((c) => [c.type, c.dtype]), [['string', 'String'], ['duration', 'Duration(ms)']]);
      const arrow = await arrowColumns(server, base, 'Durations');
      t.equal(arrow.elapsed[0], 129_600, '36 h, not shifted by the 1900 leap-year bug');
      t.same(arrow.elapsed, [129_600, 2 * 3600 + 5 * 60, 73.5 * 3600], 'the README: 36 h, 2 h 05, 73 h 30');
      const sheet = XLSX.read(bytes, { type: 'buffer' }).Sheets.Durations; // SheetJS shows [hh]:mm:ss
      t.same(arrow.elapsed, [2, 3, 4].map((r) => seconds(sheet[`B${r}`].w)), 'every value as SheetJS renders it');
      t.test('JSON and statistics', async (t) => {
        const { status, rows } = await jsonRows(server, base, 'Durations');
        t.equal(status, 200);
        t.same(rows?.map((r) => r.elapsed), ['PT129600S', 'PT7500S', 'PT264600S']);
        const stats = await getJson(server, `${base}/statistics`);
        t.equal(stats.status, 200);
        t.match(stats.body.columns?.[1], { data_type: 'duration', min: 'PT7500S', max: 'PT264600S' });
      });
    });

    t.test('x03: dates before 1900 (negative serials) are dates', async (t) => {
      const base = await uploaded(t, server, readFileSync(join(FIELD, 'x03_pre1900_dates.xlsx')), 'x03_pre1900_dates.xlsx');
      t.same((await schemaOf(server, base, 'History')).map((c) => [c.type, c.dtype]), [['string', 'String'], ['date', 'Date']]);
      const { rows } = await jsonRows(server, base, 'History');
      t.same(rows.map((r) => r.date), ['1849-12-30', '1899-12-29', '1950-01-01', '2023-01-01']);
      const stats = await getJson(server, `${base}/statistics`);
      t.match(stats, { status: 200, body: { columns: [{}, { data_type: 'date', min: '1849-12-30', max: '2023-01-01' }] } });
    });

    t.test('x04: the 1904 date system stays right', async (t) => {
      const base = await uploaded(t, server, readFileSync(join(FIELD, 'x04_1904.xlsx')), 'x04_1904.xlsx');
      t.same((await schemaOf(server, base, 'Mac')).map((c) => c.type), ['date', 'datetime']);
      const { rows } = await jsonRows(server, base, 'Mac');
      t.same(rows.map((r) => r.d), ['2024-01-31', '1904-01-02']);
      t.equal(Date.parse(`${rows[0].ts}Z`), Date.parse('2024-01-31T10:20:30Z'));
      const stats = await getJson(server, `${base}/statistics`);
      t.match(stats, { status: 200, body: { columns: [{ min: '1904-01-02', max: '2024-01-31' }, { data_type: 'datetime' }] } });
    });

    t.test('x07: formulas with no cached value are null, the workbook is read', async (t) => {
      const base = await uploaded(t, server, readFileSync(join(FIELD, 'x07_formula_no_cache.xlsx')), 'x07_formula_no_cache.xlsx');
      const { rows } = await jsonRows(server, base, 'Calc');
      t.same(rows, [{ price: 2.5, qty: 4, total: null }, { price: 10, qty: 3, total: null }]);
      const stats = await getJson(server, `${base}/statistics`);
      t.match(stats, { status: 200, body: { columns: [{}, {}, { column_name: 'total', null_count: 2 }] } });
    });

    const sheets1900 = [TIMES, DURATIONS, DATES, MIXED];
    for (const [bookType, ext] of [['xlsx', 'xlsx'], ['biff8', 'xls']] as const) {
      t.test(`our own .${ext}: times, durations, early dates, mixes`, async (t) => {
        const bytes = workbook(sheets1900, bookType);
        const formats = writtenFormats(bytes, sheets1900);
        t.same(formats.got, formats.want, 'the file carries every number format (read back with SheetJS)');
        const base = await uploaded(t, server, bytes, `kinds.${ext}`);
        for (const spec of sheets1900) await checkSheet(t, server, base, spec, `.${ext}`);
      });

      t.test(`our own .${ext} in the 1904 date system`, async (t) => {
        const bytes = workbook([MAC, MAC_DURATIONS], bookType, true);
        t.equal(writtenFormats(bytes, [MAC]).date1904, true, 'the file is in the 1904 system');
        const base = await uploaded(t, server, bytes, `mac.${ext}`);
        await checkSheet(t, server, base, MAC, `.${ext}`);
        await checkSheet(t, server, base, MAC_DURATIONS, `.${ext}`);
      });
    }

    t.test('our own .xlsx: formulas without a cached value, of every result type', async (t) => {
      const base = await uploaded(t, server, xlsxWithUncachedFormulas(), 'uncached.xlsx');
      t.same((await schemaOf(server, base, 'Calc')).map((c) => c.type), ['integer', 'string', 'boolean', 'integer']);
      const { rows } = await jsonRows(server, base, 'Calc');
      t.same(rows, [
        { n: null, label: null, flag: null, id: 1 },
        { n: 4, label: 'ab', flag: true, id: 2 },
        { n: null, label: null, flag: null, id: 3 },
      ]);
    });

    t.test('our own .xls: a formula whose cached result is empty', async (t) => {
      const bytes = xlsWithUncachedFormula();
      const cell = XLSX.read(bytes, { type: 'buffer', cellFormula: true }).Sheets.Calc.A2;
      t.match(cell, { f: '5' }, 'the file holds the formula (read back with SheetJS)');
      const base = await uploaded(t, server, bytes, 'uncached.xls');
      const { rows } = await jsonRows(server, base, 'Calc');
      t.same(rows, [{ total: null, qty: 4 }, { total: 12, qty: 3 }]);
    });
  });
}
