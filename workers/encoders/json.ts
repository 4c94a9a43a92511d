import pl from 'nodejs-polars';
import type { PageEnvelope } from '../protocol.js';
import { ownedCopy } from '../transfer.js';

type DType = pl.DataType & { timeZone?: string };

const isNaiveDatetime = (dt: DType) => String(dt.variant) === 'Datetime' && !dt.timeZone;
/** Types Polars' JSON writer gets right as they are (naive datetimes aside, see jsonRows). */
const WRITTEN_AS_IS = new Set(['Int8', 'Int16', 'Int32', 'UInt8', 'UInt16', 'UInt32', 'Float32', 'Float64', 'Bool', 'Utf8', 'String', 'Date', 'Datetime', 'Decimal', 'Null']);

/**
 * Casts the columns whose Polars JSON form is not the contract's: naive datetimes (Polars writes a space,
 * ISO 8601 wants `T`), times and durations, binary, and 64-bit integers when a client asks for strings.
 * Everything else is written by Polars' own writer, which keeps integers exact, writes floats in
 * shortest round-trip form, NaN and ±Infinity as null, dates as `YYYY-MM-DD`, zoned datetimes as RFC 3339
 * and decimals as strings with every digit.
 */
export function jsonReady(frame: pl.DataFrame, int64AsString = false): pl.DataFrame {
  const dtypes = frame.dtypes;
  const exprs = frame.columns.map((name, i) => {
    const col = pl.col(name);
    const dt = dtypes[i] as DType;
    switch (String(dt.variant)) {
      case 'Datetime':
        return dt.timeZone ? col : col.dt.strftime('%Y-%m-%dT%H:%M:%S%.f');
      case 'Time':
      case 'Duration':
      case 'Categorical':
      case 'Enum':
        return col.cast(pl.Utf8);
      case 'Binary':
        return col.str.encode('base64');
      case 'Int64':
      case 'UInt64':
        return int64AsString ? col.cast(pl.Utf8) : col;
      default:
        return col;
    }
  });
  return frame.select(...exprs);
}

/**
 * Rows as a JSON array, e.g. `[{"a":1},{"a":2}]`. The common case — flat columns Polars writes as they are —
 * skips jsonReady's select, which costs milliseconds per page even for 100 rows: naive datetimes are then
 * fixed in the text, turning `"col":"2001-01-01 00:01:00"` into `"col":"2001-01-01T00:01:00"`. That match
 * is unambiguous: the key is followed by `":"`, which a string value cannot contain unescaped, and with no
 * nested columns every `"col":` in the text is that column.
 */
export function jsonRows(frame: pl.DataFrame, int64AsString = false): Buffer {
  if (frame.width === 0) return Buffer.from(JSON.stringify(Array.from({ length: frame.height }, () => ({}))));
  // dtypes and columns, not getColumns(): building Series objects costs ~5 ms per call in this binding.
  const dtypes = frame.dtypes as DType[];
  const asIs = dtypes.every((d) => WRITTEN_AS_IS.has(String(d.variant)) || (!int64AsString && /^U?Int64$/.test(String(d.variant))));
  if (!asIs) return jsonReady(frame, int64AsString).writeJSON({ format: 'json' });
  const json = frame.writeJSON({ format: 'json' });
  const naive = frame.columns.filter((_, i) => isNaiveDatetime(dtypes[i]));
  if (naive.length === 0) return json;
  let text = json.toString('utf8');
  for (const name of naive) {
    const key = JSON.stringify(name).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    text = text.replace(new RegExp(`(${key}:"-?\\d{4,}-\\d{2}-\\d{2}) (?=\\d{2}:)`, 'g'), '$1T');
  }
  return Buffer.from(text, 'utf8');
}

/** The whole JSON page body, encoded here so the main thread only sends bytes. */
export function encodeJsonPage(frame: pl.DataFrame, envelope: PageEnvelope, int64AsString: boolean): ArrayBuffer {
  const head = Buffer.from('{"data":');
  const tail = Buffer.from(`,"columns":${JSON.stringify(frame.columns)},${JSON.stringify(envelope).slice(1)}`);
  return ownedCopy(head, jsonRows(frame, int64AsString), tail);
}
