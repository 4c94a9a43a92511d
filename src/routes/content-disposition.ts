/**
 * `Content-Disposition: attachment` for a file name (RFC 6266): an ASCII fallback with anything else as `_`,
 * plus the exact UTF-8 name in `filename*`, percent-encoded to RFC 8187's attr-chars (encodeURIComponent
 * leaves ' ( ) * as they are, which that grammar does not allow). Path separators in `fileName` are dropped
 * (last segment kept).
 */
export function contentDisposition(fileName: string): string {
  const base = fileName.split(/[\\/]/).pop() || 'download';
  const ascii = base.replace(/[^\x20-\x7e]|["\\]/g, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(base).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)}`;
}
