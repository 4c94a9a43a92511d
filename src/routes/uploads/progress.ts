import type { Socket } from 'node:net';

export type UploadPhase = 'receiving' | 'parsing' | 'storing' | 'done' | 'failed';

/** What `GET /api/uploads/{id}` answers. */
export interface UploadState {
  upload_id: string;
  phase: UploadPhase;
  bytes_received: number;
  bytes_expected: number | null;
}

interface Tracked {
  phase: UploadPhase;
  /** The API key's name that sent it (undefined without keys): only it may read the progress. */
  owner: string | undefined;
  socket: Socket | null;
  /** socket.bytesRead when the upload's handler started. */
  base: number;
  expected: number | null;
  /** Fixed once receiving ends; live from the socket before. */
  received: number | null;
  /** ms since the epoch when the upload ended (done or failed). */
  endedAt?: number;
}

/** Moves one upload on: `enter` a later phase (leaving `receiving` fixes its bytes), `end` it (the first call wins). */
export interface UploadHandle {
  enter(phase: 'parsing' | 'storing'): void;
  end(ok: boolean, at?: number): void;
}

/** Bytes read from the upload's connection since it started, at most the expected ones. */
function liveBytes(u: Tracked): number {
  const read = Math.max(0, (u.socket?.bytesRead ?? u.base) - u.base);
  return u.expected === null ? read : Math.min(read, u.expected);
}

/**
 * Progress of uploads sent with an `X-Upload-Id` header, on the main thread: a map of at most `max` uploads,
 * each forgotten `keepMs` after it ended (past `max`, the oldest entry goes first). Bytes received are read from
 * the connection (`socket.bytesRead` since the upload's handler started), so they need no per-chunk work and
 * may lag the truth by the one read the server had done before (at most about 64 KiB); they count the whole
 * multipart body, as `bytes_expected` (its Content-Length) does.
 */
export class UploadProgress {
  private readonly uploads = new Map<string, Tracked>();

  constructor(
    private readonly keepMs = 60_000,
    private readonly max = 1_000,
  ) {}

  /** True when an upload with this id is still running (an id may be reused once its upload ended). */
  running(id: string): boolean {
    const found = this.uploads.get(id);
    return found !== undefined && found.endedAt === undefined;
  }

  /**
   * Starts tracking an upload in the `receiving` phase. The handle moves that upload on (a later upload reusing
   * the id has its own), so only the request that started it can end it.
   */
  start(id: string, owner: string | undefined, socket: Socket | null, expected: number | null, now = Date.now()): UploadHandle {
    this.sweep(now);
    this.uploads.delete(id); // re-inserted last: the map stays in start order
    while (this.uploads.size >= this.max) this.uploads.delete(this.uploads.keys().next().value!);
    const u: Tracked = { phase: 'receiving', owner, socket, base: socket?.bytesRead ?? 0, expected, received: null };
    this.uploads.set(id, u);
    return {
      enter: (phase) => {
        if (u.endedAt !== undefined) return;
        if (u.received === null) u.received = u.expected ?? liveBytes(u);
        u.phase = phase;
      },
      end: (ok, at = Date.now()) => {
        if (u.endedAt !== undefined) return;
        u.received ??= liveBytes(u);
        u.phase = ok ? 'done' : 'failed';
        u.endedAt = at;
        u.socket = null;
      },
    };
  }

  /** The upload's state, if it is known and `owner` sent it. */
  read(id: string, owner: string | undefined, now = Date.now()): UploadState | undefined {
    this.sweep(now);
    const u = this.uploads.get(id);
    if (!u || u.owner !== owner) return undefined;
    return { upload_id: id, phase: u.phase, bytes_received: u.received ?? liveBytes(u), bytes_expected: u.expected };
  }

  /** Forgets the uploads that ended more than keepMs ago. */
  private sweep(now: number): void {
    for (const [id, u] of this.uploads) if (u.endedAt !== undefined && now - u.endedAt >= this.keepMs) this.uploads.delete(id);
  }
}
