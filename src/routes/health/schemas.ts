/** The /health response, as documented at /docs (fields as the contract lists them: status … uptime_s). */

const count = { type: 'integer', minimum: 0 } as const;

const pool = {
  type: 'object',
  required: ['name', 'threads', 'queued', 'max_queue', 'utilization', 'completed'],
  properties: {
    name: { type: 'string', description: '`parse`, `query`, or a data worker `shard-<i>`' },
    threads: count,
    queued: { ...count, description: 'tasks waiting' },
    max_queue: { ...count, description: 'MAX_QUEUE: past it, 503' },
    utilization: { type: 'number', description: 'share of time the threads were busy since start (0-1)' },
    completed: count,
  },
} as const;

/** A byte-budget cache's figures (CacheStats in workers/protocol.ts). */
function cacheFigures(bytes: string, counts: string) {
  return {
    type: 'object',
    required: ['budget_bytes', 'bytes', 'entries', 'hits', 'misses', 'evictions'],
    properties: {
      budget_bytes: { ...count, description: 'its share of CACHE_BYTES' },
      bytes: { ...count, description: bytes },
      entries: count,
      hits: { ...count, description: counts },
      misses: count,
      evictions: { ...count, description: 'entries let go, least recently used first, to stay within budget_bytes' },
    },
  } as const;
}

const dataWorker = {
  type: 'object',
  required: ['name', 'tid', 'cache'],
  description: "A data worker (shard) and its cache. Figures are the worker's own, asked of it with each /health; a worker too busy to answer within a few ms shows its previous ones.",
  properties: {
    name: { type: 'string', description: '`shard-<i>`, as its pool in `pools`' },
    tid: { ...count, description: 'OS thread id (Linux: CPU time in /proc/<pid>/task/<tid>/stat); 0 if unknown' },
    cache: cacheFigures('bytes of the frames, query results and facets it keeps now', 'since the worker started'),
  },
} as const;

const shard = {
  type: 'object',
  required: ['shard', 'versions', 'datasets', 'bytes'],
  properties: { shard: count, versions: count, datasets: count, bytes: { ...count, description: 'Arrow bytes of the sheets it holds' } },
} as const;

export const healthResponse = {
  type: 'object',
  required: ['status', 'storage_backend', 'workers', 'sql_answers', 'datasets', 'uptime_s'],
  properties: {
    status: { type: 'string', enum: ['ok', 'overloaded'] },
    storage_backend: { type: 'string', enum: ['local', 'memory'] },
    workers: {
      type: 'object',
      required: ['count', 'pools', 'data'],
      properties: {
        count: { ...count, description: 'WORKERS: data workers (shards), and the most parse and query workers' },
        pools: { type: 'array', items: pool },
        data: { type: 'array', items: dataWorker, description: 'the data workers, both backends' },
        shards: { type: 'array', items: shard, description: 'memory backend: what each shard holds' },
        source_bytes: { ...count, description: 'memory backend: uploaded files kept for /download' },
      },
    },
    sql_answers: {
      ...cacheFigures('bytes of the SQL answers kept now', 'since the server started'),
      description: 'answers of POST …/query kept on the main thread (a sixteenth of CACHE_BYTES)',
    },
    datasets: count,
    uptime_s: count,
  },
} as const;
