/** The error `fn` throws, for assertions on its fields; fails (throws) when `fn` returns instead. */
export function thrown(fn: () => unknown): Error & { statusCode?: number; status?: number; code?: string } {
  try {
    fn();
  } catch (err) {
    return err as Error & { statusCode?: number; status?: number; code?: string };
  }
  throw new Error('expected an error, but the call returned');
}
