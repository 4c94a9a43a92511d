/** `npm run api-key -- NAME SCOPES`: prints a new key once, and the API_KEYS entry that stores only its hash. */
import { SCOPES, newApiKey } from '../auth/api-keys.js';

const [name, scopes = 'read'] = process.argv.slice(2);
if (!name || !/^[\w.-]+$/.test(name) || !scopes.split('+').every((s) => (SCOPES as string[]).includes(s))) {
  process.stderr.write(`usage: npm run api-key -- NAME SCOPES   (SCOPES: ${SCOPES.join(', ')}, joined with +)\n`);
  process.exit(2);
}
const { key, sha256 } = newApiKey();
process.stdout.write(`key (give it to the client; it is not stored anywhere): ${key}\n`);
process.stdout.write(`API_KEYS entry: ${name}:${scopes}:${sha256}\n`);
