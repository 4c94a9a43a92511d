/**
 * Excel corpus: .xlsx/.xlsm packages written part by part (see zip.ts), hostile and odd ones included, and an
 * encrypted workbook's OLE2 container. Every expected value is known here, from how the file was written.
 */
import { deflateRawSync } from 'node:zlib';
import * as XLSX from '@e965/xlsx';
import { deflateChunks, repeatedDeflate, zip, type Deflated, type ZipInput } from './zip.js';

const MAIN_NS = 'http://schemas.openxmlformats.org/spreadsheetml/2006/main';
const REL_NS = 'http://schemas.openxmlformats.org/officeDocument/2006/relationships';
const PKG_REL_NS = 'http://schemas.openxmlformats.org/package/2006/relationships';
const REL = 'http://schemas.openxmlformats.org/officeDocument/2006/relationships';
const XML_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n';

export type Cell = string | number | boolean | null | { formula: string; cached: number | string };

export interface SheetSpec {
  name: string;
  kind?: 'worksheet' | 'chartsheet';
  /** Rows of cells, written as inline strings / numbers / booleans. */
  rows?: Cell[][];
  /** Or the sheet part as given (text or precompressed). */
  xml?: string;
  raw?: Deflated;
  declaredSize?: number;
  store?: boolean;
}

export interface PackageSpec {
  sheets: SheetSpec[];
  /** `xlsm`: macro-enabled main content type. */
  macroEnabled?: boolean;
  sharedStrings?: { xml?: string; raw?: Deflated; declaredSize?: number };
  /** More parts, with a workbook relationship (type, target relative to xl/) and a content-type override. */
  extraParts?: { entry: ZipInput; relType?: string; target?: string; contentType?: string }[];
  /** Extra XML inside <workbook> after <sheets> (e.g. externalReferences). */
  workbookExtra?: string;
}

export function col(c: number): string {
  let s = '';
  for (let n = c + 1; n > 0; n = Math.floor((n - 1) / 26)) s = String.fromCharCode(65 + ((n - 1) % 26)) + s;
  return s;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function cellXml(v: Cell, ref: string): string {
  if (v === null) return '';
  if (typeof v === 'number') return `<c r="${ref}"><v>${v}</v></c>`;
  if (typeof v === 'boolean') return `<c r="${ref}" t="b"><v>${v ? 1 : 0}</v></c>`;
  if (typeof v === 'string') return `<c r="${ref}" t="inlineStr"><is><t xml:space="preserve">${esc(v)}</t></is></c>`;
  const cached = typeof v.cached === 'number' ? `<v>${v.cached}</v>` : `<v>${esc(v.cached)}</v>`;
  return `<c r="${ref}"${typeof v.cached === 'string' ? ' t="str"' : ''}><f>${esc(v.formula)}</f>${cached}</c>`;
}

export function sheetXml(rows: Cell[][]): string {
  const body = rows.map((row, r) => `<row r="${r + 1}">${row.map((v, c) => cellXml(v, `${col(c)}${r + 1}`)).join('')}</row>`).join('');
  return `${XML_HEAD}<worksheet xmlns="${MAIN_NS}" xmlns:r="${REL_NS}"><sheetData>${body}</sheetData></worksheet>`;
}

export function xlsxPackage(spec: PackageSpec): Buffer {
  const overrides: string[] = [];
  const bookRels: string[] = [];
  const sheetEntries: string[] = [];
  const entries: ZipInput[] = [];
  const mainType = spec.macroEnabled
    ? 'application/vnd.ms-excel.sheet.macroEnabled.main+xml'
    : 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml';
  overrides.push(`<Override PartName="/xl/workbook.xml" ContentType="${mainType}"/>`);

  spec.sheets.forEach((s, i) => {
    const rId = `rId${i + 1}`;
    const chart = s.kind === 'chartsheet';
    const path = chart ? `chartsheets/sheet${i + 1}.xml` : `worksheets/sheet${i + 1}.xml`;
    bookRels.push(`<Relationship Id="${rId}" Type="${REL}/${chart ? 'chartsheet' : 'worksheet'}" Target="${path}"/>`);
    sheetEntries.push(`<sheet name="${esc(s.name)}" sheetId="${i + 1}" r:id="${rId}"/>`);
    overrides.push(
      `<Override PartName="/xl/${path}" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.${chart ? 'chartsheet' : 'worksheet'}+xml"/>`,
    );
    const xml = chart
      ? `${XML_HEAD}<chartsheet xmlns="${MAIN_NS}" xmlns:r="${REL_NS}"><sheetPr/><sheetViews><sheetView workbookViewId="0"/></sheetViews></chartsheet>`
      : (s.xml ?? sheetXml(s.rows ?? []));
    entries.push(s.raw ? { name: `xl/${path}`, raw: s.raw, declaredSize: s.declaredSize } : { name: `xl/${path}`, data: xml, store: s.store, declaredSize: s.declaredSize });
  });
  let next = spec.sheets.length + 1;
  if (spec.sharedStrings) {
    bookRels.push(`<Relationship Id="rId${next++}" Type="${REL}/sharedStrings" Target="sharedStrings.xml"/>`);
    overrides.push('<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>');
    const ss = spec.sharedStrings;
    entries.push(ss.raw ? { name: 'xl/sharedStrings.xml', raw: ss.raw, declaredSize: ss.declaredSize } : { name: 'xl/sharedStrings.xml', data: ss.xml ?? '', declaredSize: ss.declaredSize });
  }
  for (const extra of spec.extraParts ?? []) {
    if (extra.relType) bookRels.push(`<Relationship Id="rId${next++}" Type="${extra.relType}" Target="${extra.target}"/>`);
    if (extra.contentType) overrides.push(`<Override PartName="/${extra.entry.name}" ContentType="${extra.contentType}"/>`);
    entries.push(extra.entry);
  }

  const workbook =
    `${XML_HEAD}<workbook xmlns="${MAIN_NS}" xmlns:r="${REL_NS}"><workbookPr/>` +
    `<sheets>${sheetEntries.join('')}</sheets>${spec.workbookExtra ?? ''}</workbook>`;
  const contentTypes =
    `${XML_HEAD}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">` +
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>' +
    '<Default Extension="xml" ContentType="application/xml"/>' +
    '<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/>' +
    `${overrides.join('')}</Types>`;
  const rootRels =
    `${XML_HEAD}<Relationships xmlns="${PKG_REL_NS}">` +
    `<Relationship Id="rId1" Type="${REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>`;
  const workbookRels = `${XML_HEAD}<Relationships xmlns="${PKG_REL_NS}">${bookRels.join('')}</Relationships>`;
  return zip([
    { name: '[Content_Types].xml', data: contentTypes },
    { name: '_rels/.rels', data: rootRels },
    { name: 'xl/workbook.xml', data: workbook },
    { name: 'xl/_rels/workbook.xml.rels', data: workbookRels },
    ...entries,
  ]);
}

// ---- the cases -------------------------------------------------------------------------------------------

export const SIMPLE_ROWS: Cell[][] = [
  ['id', 'name', 'score', 'ok'],
  [1, 'alpha', 1.5, true],
  [2, 'beta', -2.25, false],
  [3, 'gamma', 1e21, true],
];

export function simpleWorkbook(): Buffer {
  return xlsxPackage({ sheets: [{ name: 'Data', rows: SIMPLE_ROWS }] });
}

/** The sheet XML of the cell bomb: rows of 1,000 numeric cells, 2.1 GB in all, from about 2 MB. */
function cellBombDeflated(): Deflated {
  const row = `<row>${'<c><v>1</v></c>'.repeat(1000)}</row>`; // 15,011 bytes
  const chunk = row.repeat(1100); // 16.5 MB
  return repeatedDeflate(`${XML_HEAD}<worksheet xmlns="${MAIN_NS}"><sheetData>`, chunk, 128, '</sheetData></worksheet>');
}

export interface Bombs {
  /** Honest headers: the sheet part declares its 2.1 GB. */
  cells: Buffer;
  /** One shared string of 2 GB of "A", whose headers say so. */
  sharedString: Buffer;
  inflatedBytes: number;
}

export function zipBombs(): Bombs {
  const cells = cellBombDeflated();
  const sst = repeatedDeflate(
    `${XML_HEAD}<sst xmlns="${MAIN_NS}" count="1" uniqueCount="1"><si><t>`,
    'A'.repeat(16 << 20),
    120,
    '</t></si></sst>',
  );
  const sstSheet = sheetXml([['text']]).replace('<c r="A1" t="inlineStr"><is><t xml:space="preserve">text</t></is></c>', '<c r="A1" t="s"><v>0</v></c>');
  return {
    cells: xlsxPackage({ sheets: [{ name: 'Bomb', raw: cells }] }),
    sharedString: xlsxPackage({ sheets: [{ name: 'Bomb', xml: sstSheet }], sharedStrings: { raw: sst } }),
    inflatedBytes: cells.size,
  };
}

/**
 * Bombs past the XLSX_MAX_* budgets, each far larger inflated than any budget, from a few MB: the sheet and
 * shared-strings parts declare 4 KiB (a lie: the guard must count what inflates), except `honest`, which
 * declares its true size.
 */
export interface LimitBombs {
  /** 10.5 GB of rows of 1,000 numeric cells: past the cell budget first. */
  cells: Buffer;
  /** 10.5 GB of one row of empty formatted cells (`<c r="A1" s="1"/>`, no value held): past the byte budget. */
  emptyCells: Buffer;
  /** One shared string of 10.7 GB of "A": past the byte budget. */
  sharedText: Buffer;
  /** 3.3 GB of numeric cells whose headers say so. */
  honest: Buffer;
  /** What `cells` inflates to, in bytes. */
  inflatedBytes: number;
}

export function limitBombs(): LimitBombs {
  const head = `${XML_HEAD}<worksheet xmlns="${MAIN_NS}"><sheetData>`;
  const row = `<row>${'<c><v>1</v></c>'.repeat(1000)}</row>`.repeat(1100); // 16.5 MB
  const cells = repeatedDeflate(head, row, 640, '</sheetData></worksheet>', { checksum: false });
  const empty = repeatedDeflate(`${head}<row r="1">`, '<c r="A1" s="1"/>'.repeat(1 << 20), 640, '</row></sheetData></worksheet>', { checksum: false });
  const text = repeatedDeflate(
    `${XML_HEAD}<sst xmlns="${MAIN_NS}" count="1" uniqueCount="1"><si><t>`,
    'A'.repeat(16 << 20),
    640,
    '</t></si></sst>',
    { checksum: false },
  );
  const honest = repeatedDeflate(head, row, 200, '</sheetData></worksheet>', { checksum: false });
  const sstSheet = `${XML_HEAD}<worksheet xmlns="${MAIN_NS}"><sheetData><row r="1"><c r="A1" t="s"><v>0</v></c></row></sheetData></worksheet>`;
  return {
    cells: xlsxPackage({ sheets: [{ name: 'Bomb', raw: cells, declaredSize: 4096 }] }),
    emptyCells: xlsxPackage({ sheets: [{ name: 'Bomb', raw: empty, declaredSize: 4096 }] }),
    sharedText: xlsxPackage({ sheets: [{ name: 'Bomb', xml: sstSheet }], sharedStrings: { raw: text, declaredSize: 4096 } }),
    honest: xlsxPackage({ sheets: [{ name: 'Bomb', raw: honest }] }),
    inflatedBytes: cells.size,
  };
}

/**
 * A legitimate workbook of long texts (as a notes or descriptions column holds): 1,000 rows whose shared
 * strings are ~29,000-character paragraphs (under Excel's 32,767 a cell), with accents and emoji. The shared
 * strings part is ~29 MB of XML that deflates well over 120:1, as repeated prose does.
 */
export function longTextWorkbook(): { bytes: Buffer; rows: { id: number; text: string }[]; sharedStringsXml: number; sharedStringsDeflated: number } {
  const sentence = 'Grüße aus Köln — the quick brown fox 🦊 jumps over the lazy dog. ';
  const rows = Array.from({ length: 1000 }, (_, i) => ({ id: i + 1, text: `Note ${i + 1}: ${sentence.repeat(420)}end of note ${i + 1}.` }));
  const sst =
    `${XML_HEAD}<sst xmlns="${MAIN_NS}" count="${rows.length}" uniqueCount="${rows.length}">` +
    rows.map((r) => `<si><t>${esc(r.text)}</t></si>`).join('') +
    '</sst>';
  const body = rows.map((r, i) => `<row r="${i + 2}"><c r="A${i + 2}"><v>${r.id}</v></c><c r="B${i + 2}" t="s"><v>${i}</v></c></row>`).join('');
  const sheet =
    `${XML_HEAD}<worksheet xmlns="${MAIN_NS}"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>id</t></is></c>` +
    `<c r="B1" t="inlineStr"><is><t>text</t></is></c></row>${body}</sheetData></worksheet>`;
  return {
    bytes: xlsxPackage({ sheets: [{ name: 'Notes', xml: sheet }], sharedStrings: { xml: sst } }),
    rows,
    sharedStringsXml: Buffer.byteLength(sst),
    sharedStringsDeflated: deflateRawSync(Buffer.from(sst)).length,
  };
}

/** A sheet stored uncompressed whose bytes were changed after the checksum was computed. */
export function checksumMismatch(): Buffer {
  const good = xlsxPackage({ sheets: [{ name: 'Data', rows: [['n'], [1111], [2222]], store: true }] });
  const at = good.indexOf('<v>2222</v>');
  const bad = Buffer.from(good);
  bad.write('7', at + 3, 'latin1'); // 2222 → 7222, CRC-32 unchanged
  return bad;
}

/** .xlsm with a vbaProject.bin whose deflate data is garbage: reading it would fail, so success proves it is never read. */
export function macroWorkbook(): Buffer {
  const garbage = Buffer.from(Array.from({ length: 512 }, (_, i) => (i * 151 + 7) & 0xff));
  return xlsxPackage({
    macroEnabled: true,
    sheets: [{ name: 'Macros', rows: SIMPLE_ROWS }],
    extraParts: [
      {
        entry: { name: 'xl/vbaProject.bin', raw: { compressed: garbage, crc: 0x12345678, size: 100_000 } },
        relType: 'http://schemas.microsoft.com/office/2006/relationships/vbaProject',
        target: 'vbaProject.bin',
        contentType: 'application/vnd.ms-office.vbaProject',
      },
    ],
  });
}

/**
 * Formulas that read another workbook, through xl/externalLinks (the link's target is an external file, never
 * opened); their cached values are what we serve. With one sheet, the externalLink relationship is rId2.
 */
export function externalLinkWorkbook(): Buffer {
  const link =
    `${XML_HEAD}<externalLink xmlns="${MAIN_NS}" xmlns:r="${REL_NS}"><externalBook r:id="rId1"><sheetNames><sheetName val="Prices"/></sheetNames>` +
    '<sheetDataSet><sheetData sheetId="0"><row r="1"><cell r="A1"><v>42.5</v></cell></row></sheetData></sheetDataSet></externalBook></externalLink>';
  const linkRels =
    `${XML_HEAD}<Relationships xmlns="${PKG_REL_NS}"><Relationship Id="rId1" ` +
    `Type="${REL}/externalLinkPath" Target="file:///C:/secret/prices.xlsx" TargetMode="External"/></Relationships>`;
  return xlsxPackage({
    sheets: [
      {
        name: 'Linked',
        rows: [
          ['item', 'price', 'label'],
          ['apple', { formula: '[1]Prices!A1', cached: 42.5 }, { formula: '[1]Prices!B1', cached: 'from elsewhere' }],
          ['pear', { formula: '[1]Prices!A1*2', cached: 85 }, { formula: '[1]Prices!B2', cached: 'x' }],
        ],
      },
    ],
    workbookExtra: '<externalReferences><externalReference r:id="rId2"/></externalReferences>',
    extraParts: [
      {
        entry: { name: 'xl/externalLinks/externalLink1.xml', data: link },
        relType: `${REL}/externalLink`,
        target: 'externalLinks/externalLink1.xml',
        contentType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.externalLink+xml',
      },
      { entry: { name: 'xl/externalLinks/_rels/externalLink1.xml.rels', data: linkRels } },
    ],
  });
}

export const EXTERNAL_LINK_ROWS = [
  { item: 'apple', price: 42.5, label: 'from elsewhere' },
  { item: 'pear', price: 85, label: 'x' },
];

/** A workbook whose only sheets are chart sheets. */
export function chartsOnlyWorkbook(): Buffer {
  return xlsxPackage({ sheets: [{ name: 'Chart1', kind: 'chartsheet' }, { name: 'Chart2', kind: 'chartsheet' }] });
}

export const MAX_ROWS = 1_048_576;

/** Row r (1-based) of the full-height sheet: header on row 1, then id = r − 1, value, flag. */
export function fullSheetValue(r: number): { id: number; value: number; flag: boolean } {
  return { id: r - 1, value: ((r * 7919) % 100_000) / 4, flag: r % 3 === 0 };
}

/** A sheet with every row Excel allows (1,048,576: a header and 1,048,575 data rows), written straight as XML. */
export function fullHeightWorkbook(): Buffer {
  function* chunks(): Generator<Buffer> {
    yield Buffer.from(
      `${XML_HEAD}<worksheet xmlns="${MAIN_NS}"><dimension ref="A1:C${MAX_ROWS}"/><sheetData>` +
        '<row r="1"><c r="A1" t="inlineStr"><is><t>id</t></is></c><c r="B1" t="inlineStr"><is><t>value</t></is></c>' +
        '<c r="C1" t="inlineStr"><is><t>flag</t></is></c></row>',
    );
    for (let r = 2; r <= MAX_ROWS; ) {
      // Plain concatenation: about 4× faster here than template literals joined from an array.
      let xml = '';
      for (let k = 0; k < 16_384 && r <= MAX_ROWS; k++, r++) {
        const v = fullSheetValue(r);
        xml +=
          '<row r="' + r + '"><c r="A' + r + '"><v>' + v.id + '</v></c><c r="B' + r + '"><v>' + v.value +
          '</v></c><c r="C' + r + '" t="b"><v>' + (v.flag ? 1 : 0) + '</v></c></row>';
      }
      yield Buffer.from(xml, 'latin1');
    }
    yield Buffer.from('</sheetData></worksheet>');
  }
  return xlsxPackage({ sheets: [{ name: 'Full', raw: deflateChunks(chunks()) }] });
}

/**
 * What Excel writes for a password-protected workbook: not a zip but an OLE2 compound file holding the
 * encrypted package (ECMA-376 Agile Encryption: EncryptionInfo + EncryptedPackage streams).
 */
export function encryptedWorkbook(): Buffer {
  const cfb = XLSX.CFB.utils.cfb_new();
  const info = Buffer.concat([
    Buffer.from([0x04, 0x00, 0x04, 0x00, 0x40, 0x00, 0x00, 0x00]), // version 4.4, agile
    Buffer.from('<?xml version="1.0" encoding="UTF-8" standalone="yes"?><encryption xmlns="http://schemas.microsoft.com/office/2006/encryption"/>'),
  ]);
  const pkg = Buffer.alloc(8 + 4096);
  pkg.writeUInt32LE(4000, 0);
  for (let i = 8; i < pkg.length; i++) pkg[i] = (i * 97 + 13) & 0xff;
  XLSX.CFB.utils.cfb_add(cfb, '/EncryptionInfo', info);
  XLSX.CFB.utils.cfb_add(cfb, '/EncryptedPackage', pkg);
  return Buffer.from(XLSX.CFB.write(cfb, { type: 'buffer' }) as Uint8Array);
}

/** An OLE2 file without an encrypted package (what a legacy .xls renamed .xlsx looks like to a sniffer). */
export function plainOle2(): Buffer {
  const cfb = XLSX.CFB.utils.cfb_new();
  XLSX.CFB.utils.cfb_add(cfb, '/Workbook', Buffer.alloc(600, 1));
  return Buffer.from(XLSX.CFB.write(cfb, { type: 'buffer' }) as Uint8Array);
}

export function corruptZips(): Record<string, Buffer> {
  const good = simpleWorkbook();
  const sheetAt = good.indexOf('xl/worksheets/sheet1.xml') + 'xl/worksheets/sheet1.xml'.length;
  const damagedDeflate = Buffer.from(good);
  damagedDeflate.fill(0xff, sheetAt + 4, sheetAt + 40); // inside the sheet's compressed data
  return {
    'truncated.xlsx': good.subarray(0, Math.floor(good.length * 0.6)),
    'no-directory.xlsx': good.subarray(0, good.lastIndexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02])) - 1),
    'damaged-deflate.xlsx': damagedDeflate,
    'garbage-after-magic.xlsx': Buffer.concat([Buffer.from('PK\x03\x04'), Buffer.alloc(3000, 0x5a)]),
  };
}

