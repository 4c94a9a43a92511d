/**
 * The HTTP floor: a minimal Fastify server that answers the data route with a fixed page whose bytes were
 * fetched once from the service (JSON and Arrow, 100 and 1,000 rows). Nothing is computed per request, so
 * what it reaches is the most any page endpoint of the service could reach on this machine, with the same
 * load generator. It also receives uploads (`POST /api/datasets/upload`) with the service's multipart parser
 * and drops them: the most any upload could reach with the same client. Run as a child process by servers.ts: `node floor-server.js <variants.json>`, PORT in env.
 */
import { readFileSync } from 'node:fs';
import Fastify from 'fastify';
import multipart from '@fastify/multipart';

interface Variant {
  rows: number;
  format: 'json' | 'arrow';
  content_type: string;
  total_rows: string;
  body_file: string;
}

const variants: Variant[] = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const bodies = new Map(variants.map((v) => [`${v.format}/${v.rows}`, { ...v, body: readFileSync(v.body_file) }]));

const app = Fastify({ logger: false });

app.get<{ Querystring: { limit?: string } }>('/api/datasets/:id/versions/:vid/data', async (req, reply) => {
  const format = req.headers.accept?.includes('application/vnd.apache.arrow') ? 'arrow' : 'json';
  const page = bodies.get(`${format}/${req.query.limit ?? '100'}`);
  if (!page) return reply.code(404).send({ detail: 'no such page variant in the floor' });
  return reply.header('Content-Type', page.content_type).header('X-Total-Rows', page.total_rows).send(page.body);
});
app.get('/health', async () => ({ status: 'ok' }));

// The upload floor: the service's multipart parser receiving the file, which is counted and dropped.
await app.register(multipart, { limits: { fileSize: Number.MAX_SAFE_INTEGER, files: 1 } });
app.post('/api/datasets/upload', async (req) => {
  let bytes = 0;
  for await (const part of req.parts()) if (part.type === 'file') for await (const chunk of part.file) bytes += (chunk as Buffer).length;
  return { bytes };
});

// Exit with the bench: the IPC channel closes when it goes away, even by SIGKILL.
if (process.send) {
  process.on('disconnect', () => process.exit(0));
  process.channel?.unref();
}
process.once('SIGTERM', () => void app.close().then(() => process.exit(0)));

await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT ?? 0) });
