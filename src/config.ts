import { readFileSync, existsSync } from 'node:fs';
import { availableParallelism, totalmem } from 'node:os';
import { resolve } from 'node:path';
import { parseEnv } from 'node:util';
import { type ApiKey, parseApiKeys } from './auth/api-keys.js';
import { type XlsxLimits, defaultXlsxLimits } from '../workers/xlsx-limits.js';

export type StorageBackend = 'local' | 'memory';

export interface Config {
  storageBackend: StorageBackend;
  /** PostgreSQL connection URL of a shared catalog (local backend only); undefined: the embedded SQLite catalog. */
  catalogUrl?: string;
  host: string;
  port: number;
  dataDir: string;
  workers: number;
  maxUploadBytes: number;
  /** Tasks that may wait per worker pool or shard before requests get 503. */
  maxQueue: number;
  /** Event-loop delay (ms) above which new API requests get 503; 0 turns this off. */
  shedEventLoopDelayMs: number;
  /** A SQL query running longer is stopped (400). */
  sqlTimeoutMs: number;
  /** A SQL result with more rows is refused (400). */
  sqlMaxRows: number;
  /** On SIGTERM, how long requests in flight may take before the process exits anyway. */
  shutdownGraceMs: number;
  /** Longest a request may take to arrive, upload body included. */
  requestTimeoutMs: number;
  /** A parse running longer is stopped and the upload refused. */
  parseTimeoutMs: number;
  /** JavaScript heap of each parse and SQL worker; a file or SQL query needing more is refused, not the process killed. */
  workerHeapMb: number;
  /** An .xlsx workbook's budgets of uncompressed XML bytes and cells held, counted while reading it. */
  xlsxLimits: XlsxLimits;
  /** Memory backend: bytes of frames and uploaded files it may hold; past it uploads get 507. */
  memoryLimitBytes: number;
  /**
   * Memory backend: a shared-memory (tmpfs) directory that uploads stream into and where parse workers leave
   * parsed sheets for the shards (src/storage/handoff-dir.ts); '' keeps uploads and sheets in buffers instead.
   */
  sharedMemoryDir: string;
  /**
   * Bytes the data workers may keep as cached frames (local backend) and query results (both backends),
   * split equally between them; 0 turns the cache off.
   */
  cacheBytes: number;
  /**
   * CSV uploads declaring (Content-Length) at least this many bytes are read while they arrive, when a parse
   * thread can be spared (src/storage/read-while-receiving.ts).
   */
  readWhileReceivingMinBytes: number;
  logLevel: string;
  apiKeys: ApiKey[];
  /** Requests per minute per API key (or per client address without keys); 0: no limit. */
  ratePerMinute: number;
  /** How long a download token (POST …/download-tokens) may be used, in ms. */
  downloadTokenTtlMs: number;
}

/** A setting that cannot be used; start-up stops with this one-line message. */
export class ConfigError extends Error {}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/**
 * Settings come from the environment first, then `.env` in the working directory, then defaults.
 * Every value is checked here so a typo stops start-up instead of surfacing later as odd behaviour.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): Config {
  const merged = { ...readDotEnv(cwd), ...definedOnly(env) };
  const get = (name: string) => {
    const v = merged[name]?.trim();
    return v === undefined || v === '' ? undefined : v;
  };

  const backend = get('STORAGE_BACKEND') ?? 'local';
  if (backend !== 'local' && backend !== 'memory') {
    throw new ConfigError(`STORAGE_BACKEND=${backend} is not a storage backend; use "local" or "memory"`);
  }
  const catalogUrl = get('CATALOG_URL');
  if (catalogUrl !== undefined) {
    if (!/^postgres(ql)?:\/\//.test(catalogUrl)) throw new ConfigError('CATALOG_URL must be a PostgreSQL URL (postgres://user:password@host:port/database)');
    // The memory backend's tables live in this process: another instance could never serve them.
    if (backend === 'memory') throw new ConfigError('CATALOG_URL is for the local backend: the memory backend keeps its tables in this process, so it runs as a single instance with its own catalog');
  }
  const logLevel = get('LOG_LEVEL') ?? 'info';
  if (!LOG_LEVELS.includes(logLevel)) {
    throw new ConfigError(`LOG_LEVEL=${logLevel} is not a log level; use one of ${LOG_LEVELS.join(', ')}`);
  }
  const host = get('HOST') ?? '127.0.0.1';
  let apiKeys: ApiKey[];
  try {
    apiKeys = parseApiKeys(get('API_KEYS'));
  } catch (err) {
    throw new ConfigError((err as Error).message);
  }
  const allowOpen = get('ALLOW_UNAUTHENTICATED') ?? 'false';
  if (allowOpen !== 'true' && allowOpen !== 'false') {
    throw new ConfigError(`ALLOW_UNAUTHENTICATED=${allowOpen} is not allowed; use "true" or "false"`);
  }
  if (!LOOPBACK.test(host) && apiKeys.length === 0 && allowOpen !== 'true') {
    throw new ConfigError(
      `HOST=${host} would serve the API beyond this machine without API keys; set API_KEYS, or ALLOW_UNAUTHENTICATED=true to do it on purpose`,
    );
  }
  const workerHeapMb = integer(get, 'WORKER_HEAP_MB', 2048, 16, 1_048_576);
  const xlsxDefaults = defaultXlsxLimits(workerHeapMb); // what the parse worker's heap can hold: see there
  return {
    storageBackend: backend,
    catalogUrl,
    host,
    port: integer(get, 'PORT', 8000, 0, 65535),
    dataDir: resolve(cwd, get('DATA_DIR') ?? './data'),
    workers: integer(get, 'WORKERS', availableParallelism(), 1, 256),
    maxUploadBytes: byteSize(get, 'MAX_UPLOAD_BYTES', 1024 ** 3),
    maxQueue: integer(get, 'MAX_QUEUE', 1000, 1, 1_000_000),
    shedEventLoopDelayMs: integer(get, 'SHED_EVENT_LOOP_DELAY_MS', 500, 0, 60_000),
    parseTimeoutMs: integer(get, 'PARSE_TIMEOUT_S', 300, 1, 86_400) * 1000,
    workerHeapMb,
    xlsxLimits: {
      maxBytes: byteSize(get, 'XLSX_MAX_BYTES', xlsxDefaults.maxBytes),
      maxCells: integer(get, 'XLSX_MAX_CELLS', xlsxDefaults.maxCells, 1, Number.MAX_SAFE_INTEGER),
    },
    requestTimeoutMs: integer(get, 'REQUEST_TIMEOUT_S', 600, 1, 86_400) * 1000,
    shutdownGraceMs: integer(get, 'SHUTDOWN_GRACE_S', 30, 1, 3600) * 1000,
    sqlTimeoutMs: integer(get, 'SQL_TIMEOUT_S', 30, 1, 86_400) * 1000,
    sqlMaxRows: integer(get, 'SQL_MAX_ROWS', 1_000_000, 1, 100_000_000),
    // Half the machine: parsing needs room beside what is stored, and the process must never die of memory.
    memoryLimitBytes: byteSize(get, 'MEMORY_LIMIT', Math.floor(totalmem() / 2)),
    // Set but empty turns it off, so `get` (which reads '' as unset) is not used.
    sharedMemoryDir: (merged.SHARED_MEMORY_DIR ?? '/dev/shm').trim(),
    // A quarter of the machine: beside the memory backend's half, parsing and the process itself.
    cacheBytes: byteSize(get, 'CACHE_BYTES', Math.floor(totalmem() / 4), 0),
    readWhileReceivingMinBytes: byteSize(get, 'READ_WHILE_RECEIVING_MIN_BYTES', 16 * 1024 ** 2, 0),
    logLevel,
    apiKeys,
    ratePerMinute: integer(get, 'RATE_LIMIT_PER_MINUTE', 0, 0, 10_000_000),
    downloadTokenTtlMs: integer(get, 'DOWNLOAD_TOKEN_TTL_S', 60, 1, 3600) * 1000,
  };
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/;

function readDotEnv(cwd: string): Record<string, string> {
  const file = resolve(cwd, '.env');
  if (!existsSync(file)) return {};
  try {
    return parseEnv(readFileSync(file, 'utf8')) as Record<string, string>;
  } catch (err) {
    throw new ConfigError(`.env in ${cwd} could not be read: ${(err as Error).message}`);
  }
}

function definedOnly(env: NodeJS.ProcessEnv): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined));
}

type Getter = (name: string) => string | undefined;

function integer(get: Getter, name: string, fallback: number, min: number, max: number): number {
  const raw = get(name);
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n < min || n > max) {
    throw new ConfigError(`${name}=${raw} is not allowed; use a whole number from ${min} to ${max}`);
  }
  return n;
}

const UNITS: Record<string, number> = { '': 1, b: 1, kb: 1e3, mb: 1e6, gb: 1e9, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3 };

/** A byte count, plain (`104857600`) or with a unit (`100MB`, `1GiB`), at least `min`. */
function byteSize(get: Getter, name: string, fallback: number, min = 1): number {
  const raw = get(name);
  if (raw === undefined) return fallback;
  const m = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(raw);
  const unit = m ? UNITS[m[2].toLowerCase()] : undefined;
  if (!m || unit === undefined || Number(m[1]) * unit < min) {
    throw new ConfigError(`${name}=${raw} is not a size; use bytes (104857600) or a unit: 100MB, 1GiB`);
  }
  return Math.floor(Number(m[1]) * unit);
}
