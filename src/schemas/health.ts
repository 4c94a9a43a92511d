/** `/health`: status, storage backend, worker pools, data workers and their caches, shards. */
import { Type } from 'typebox';
import { Count, Timestamp } from './common.js';

const Pool = Type.Object(
  {
    name: Type.String({ description: '`parse`, `query`, or a data worker `shard-<i>`' }),
    threads: Count(),
    queued: Count('tasks waiting'),
    max_queue: Count('MAX_QUEUE: past it, 503'),
    utilization: Type.Number({ description: 'share of time the threads were busy since start (0-1)' }),
    completed: Count(),
  },
  { additionalProperties: false },
);

/** A byte-budget cache's figures (CacheStats in workers/protocol.ts). */
const CacheFigures = (bytes: string, counts: string, description?: string) =>
  Type.Object(
    {
      budget_bytes: Count('its share of CACHE_BYTES'),
      bytes: Count(bytes),
      entries: Count(),
      hits: Count(counts),
      misses: Count(),
      evictions: Count('entries let go, least recently used first, to stay within budget_bytes'),
    },
    { additionalProperties: false, ...(description && { description }) },
  );

const DataWorker = Type.Object(
  {
    name: Type.String({ description: '`shard-<i>`, as its pool in `pools`' }),
    tid: Count('OS thread id (Linux: CPU time in /proc/<pid>/task/<tid>/stat); 0 if unknown'),
    cache: CacheFigures('bytes of the frames, query results and facets it keeps now', 'since the worker started'),
    measured_at: Type.String({ ...Timestamp, description: 'when the worker measured these figures (ISO 8601 UTC); a worker busy with a long task shows older ones' }),
  },
  {
    additionalProperties: false,
    description: "A data worker (shard) and its cache. Figures are the worker's own, asked of it with each /health; a worker too busy to answer within a few ms shows its previous ones.",
  },
);

const CatalogFigures = Type.Object(
  {
    kind: Type.Unsafe<'sqlite' | 'postgres'>({ type: 'string', enum: ['sqlite', 'postgres'], description: 'sqlite: embedded (the default); postgres: CATALOG_URL' }),
    reachable: Type.Boolean({ description: 'the catalog answered this request; false: requests that need it get 503 catalog_unavailable' }),
    connections: Type.Optional(
      Type.Object(
        { total: Count('open connections of the pool'), idle: Count(), waiting: Count('requests waiting for a connection') },
        { additionalProperties: false, description: 'postgres only' },
      ),
    ),
  },
  { additionalProperties: false },
);

const Shard = Type.Object(
  { shard: Count(), versions: Count(), datasets: Count(), bytes: Count('Arrow bytes of the sheets it holds') },
  { additionalProperties: false },
);

export const Health = Type.Object(
  {
    status: Type.Unsafe<'ok' | 'overloaded' | 'degraded'>({
      type: 'string',
      enum: ['ok', 'overloaded', 'degraded'],
      description: 'degraded: the catalog cannot be reached (see catalog); overloaded: new API requests are being shed',
    }),
    storage_backend: Type.Unsafe<'local' | 'memory'>({ type: 'string', enum: ['local', 'memory'] }),
    workers: Type.Object(
      {
        count: Count('WORKERS: data workers (shards), and the most parse and SQL workers'),
        pools: Type.Array(Pool),
        data: Type.Array(DataWorker, { description: 'the data workers, both backends' }),
        shards: Type.Optional(Type.Array(Shard, { description: 'memory backend: what each shard holds' })),
        source_bytes: Type.Optional(Count('memory backend: uploaded files kept for /download')),
      },
      { additionalProperties: false },
    ),
    sql_answers: CacheFigures('bytes of the SQL answers kept now', 'since the server started', 'answers of POST …/query kept on the main thread (a sixteenth of CACHE_BYTES)'),
    catalog: CatalogFigures,
    datasets: Count('when the catalog cannot be reached, the count it gave the last /health (0 before any)'),
    uptime_s: Count(),
  },
  { additionalProperties: false },
);
