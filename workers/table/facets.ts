import pl from 'nodejs-polars';
import { jsonRows } from '../encoders/json.js';
import { countRows } from './plan.js';

/**
 * For each column: its most frequent values with their counts (ties by value) and how many distinct
 * non-null values it has, over the rows the query kept. Values are written by Polars' JSON writer, so
 * 64-bit integers and dates come out as in /data. Returns the response body's JSON text.
 */
export function computeFacets(plan: pl.LazyDataFrame, columns: string[], limit: number): string {
  const total = countRows(plan);
  const facets = columns.map((column) => {
    // Renamed first: a column of the table may itself be called `count` (or `value`).
    const values = plan
      .select(pl.col(column).alias('value'))
      .groupBy('value')
      .agg(pl.len().alias('count'))
      .sort('value', false, true, true)
      .sort('count', true, false, true)
      .limit(limit)
      .collectSync();
    const distinct = plan.select(pl.col(column).filter(pl.col(column).isNotNull()).nUnique().alias('n')).collectSync().getColumn('n').get(0);
    const rows = jsonRows(values.select(pl.col('value'), pl.col('count'))).toString();
    return `{"column":${JSON.stringify(column)},"distinct_count":${Number(distinct)},"values":${rows}}`;
  });
  return `{"total_rows":${total},"facets":[${facets.join(',')}]}`;
}
