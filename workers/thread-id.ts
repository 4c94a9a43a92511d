import { readlinkSync } from 'node:fs';

let tid: number | undefined;

/**
 * This thread's OS thread id, read once from Linux's `/proc/thread-self` (a link to `<pid>/task/<tid>`), so
 * the bench and operators can find the thread's CPU time in `/proc/<pid>/task/<tid>/stat`. 0 where /proc is
 * missing (not Linux).
 */
export function threadId(): number {
  if (tid === undefined) {
    try {
      tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    } catch {
      tid = 0;
    }
  }
  return tid;
}
