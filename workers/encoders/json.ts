import pl from 'nodejs-polars';
import type { PageEnvelope } from '../protocol.js';
import { ownedCopy } from '../transfer.js';

/**
 * Casts the columns whose Polars JSON form is not the contract's: naive datetimes (Polars writes a space,
 * ISO 8601 wants `T`), times and durations, binary, and 64-bit integers when a client asks for strings.
 * Everything else is written by Polars' own writer, which keeps integers exact, writes floats in
 * shortest round-trip form, NaN and ±Infinity as null, dates as `YYYY-MM-DD`, zoned datetimes as RFC 3339
 * and decimals as strings with every digit.
 */
export function jsonReady(frame: pl.DataFrame, int64AsString = false): pl.DataFrame {
  const exprs = frame.getColumns().map((s) => {
    const col = pl.col(s.name);
    const dt = s.dtype as pl.DataType & { timeZone?: string };
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

/** Rows as a JSON array, e.g. `[{"a":1},{"a":2}]`. */
export function jsonRows(frame: pl.DataFrame, int64AsString = false): Buffer {
  if (frame.width === 0) return Buffer.from(JSON.stringify(Array.from({ length: frame.height }, () => ({}))));
  return jsonReady(frame, int64AsString).writeJSON({ format: 'json' });
}

/** The whole JSON page body, encoded here so the main thread only sends bytes. */
export function encodeJsonPage(frame: pl.DataFrame, envelope: PageEnvelope, int64AsString: boolean): ArrayBuffer {
  const head = Buffer.from('{"data":');
  const tail = Buffer.from(`,"columns":${JSON.stringify(frame.columns)},${JSON.stringify(envelope).slice(1)}`);
  return ownedCopy(head, jsonRows(frame, int64AsString), tail);
}
