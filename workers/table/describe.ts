import pl from 'nodejs-polars';
import type { ColumnInfo, SheetInfo } from '../protocol.js';

type DType = pl.DataType & {
  timeUnit?: string;
  timeZone?: string;
  precision?: number;
  scale?: number;
  fields?: { name: string; dtype: DType }[];
  __inner?: DType;
  listSize?: number;
};

const PORTABLE: Record<string, string> = {
  Int8: 'integer', Int16: 'integer', Int32: 'integer', Int64: 'integer',
  UInt8: 'integer', UInt16: 'integer', UInt32: 'integer', UInt64: 'integer',
  Float32: 'float', Float64: 'float',
  Utf8: 'string', String: 'string', Categorical: 'string', Enum: 'string',
  Bool: 'boolean', Date: 'date', Datetime: 'datetime', Time: 'time', Duration: 'duration',
  Decimal: 'decimal', Binary: 'binary', List: 'list', FixedSizeList: 'list', Array: 'list',
  Struct: 'struct', Null: 'null',
};

/**
 * Whether a column holds plain text. The binding names that type `String` or `Utf8` by where it came from, and
 * `dtype.equals(pl.Utf8)` is false for `String`: compare by this, never by equals.
 */
export const isText = (dt: pl.DataType): boolean => String(dt.variant) === 'String' || String(dt.variant) === 'Utf8';

/** The contract's portable type name for a Polars type. */
export function portableType(dt: pl.DataType): string {
  return PORTABLE[dt.variant] ?? 'string';
}

/** The exact type, readable: `Int64`, `Datetime(us, Europe/Paris)`, `List(Int32)`, `Struct(a: Int64)`. */
export function exactType(dt: pl.DataType): string {
  const d = dt as DType;
  switch (d.variant) {
    case 'Datetime':
      return `Datetime(${[d.timeUnit, d.timeZone].filter(Boolean).join(', ')})`;
    case 'Duration':
      return `Duration(${d.timeUnit})`;
    case 'Decimal':
      return `Decimal(${d.precision}, ${d.scale})`;
    case 'List':
      return `List(${d.__inner ? exactType(d.__inner) : '?'})`;
    case 'FixedSizeList':
      return `Array(${d.__inner ? exactType(d.__inner) : '?'}, ${d.listSize})`;
    case 'Struct':
      return `Struct(${(d.fields ?? []).map((f) => `${f.name}: ${exactType(f.dtype)}`).join(', ')})`;
    case 'Utf8':
      return 'String';
    case 'Bool':
      return 'Boolean';
    default:
      return d.variant;
  }
}

const UNITS: Record<string, string> = { ms: 'ms', 'μs': 'us', us: 'us', ns: 'ns' };

/**
 * A column's type with every duration's real unit. nodejs-polars 0.24 hands a Duration over without its unit
 * (its wrapper then says `ms`), so each duration's unit is read from how Polars prints an empty series of it
 * (`Series: 'x' [duration[μs]]`), walking into list items and struct fields to reach nested ones.
 */
export function trueDtype(series: pl.Series): pl.DataType {
  const dt = series.dtype as DType;
  if (!String(dt).includes('Duration')) return dt;
  const empty = series.head(0);
  switch (dt.variant) {
    case 'Duration': {
      // Renamed, so no column name can disturb the header line: `Series: 'x' [duration[μs]]`.
      const header = String(empty.alias('x')).split('\n')[1] ?? '';
      const unit = /^Series: 'x' \[duration\[([^\]]+)\]\]$/.exec(header)?.[1] ?? '';
      if (!UNITS[unit]) throw new Error(`unknown duration unit in "${header}"`);
      return pl.Duration(UNITS[unit] as 'ms');
    }
    case 'List':
      return pl.List(trueDtype(empty.explode()));
    case 'FixedSizeList':
      return pl.FixedSizeList(trueDtype(empty.explode()), (dt as DType & { listSize: number }).listSize);
    case 'Struct':
      return pl.Struct((dt.fields ?? []).map((f) => new pl.Field(f.name, trueDtype(empty.struct.field(f.name)))));
    default:
      return dt;
  }
}

export function describeSheet(name: string, frame: pl.DataFrame): SheetInfo {
  const columns: ColumnInfo[] = frame.getColumns().map((s) => ({
    name: s.name,
    type: portableType(s.dtype),
    dtype: exactType(trueDtype(s)),
    // Polars columns accept nulls whatever the file said; report whether this data has any.
    nullable: s.nullCount() > 0,
  }));
  return { name, row_count: frame.height, column_count: columns.length, columns };
}
