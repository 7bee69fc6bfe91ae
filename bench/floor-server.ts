// The floor for verification: what bare node:http plus one SHA-256 and one
// better-sqlite3 lookup by hash cost, with no framework, auth or usage recording.
// Usage: tsx bench/floor-server.ts <sqlite file>; prints "PORT=<n>".
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import Database from 'better-sqlite3';

const db = new Database(process.argv[2]!, { readonly: true });
const byHash = db.prepare('select status from api_keys where key_hash = ?').pluck();

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    const { variables } = JSON.parse(Buffer.concat(chunks).toString());
    const status = byHash.get(createHash('sha256').update(variables.secret).digest('hex'));
    const code = status === undefined ? 'NOT_FOUND' : status === 'ACTIVE' ? 'VALID' : status;
    const body = `{"data":{"verifyApiKey":{"valid":${code === 'VALID'},"code":"${code}"}}}`;
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
});
server.listen(0, '127.0.0.1', () => console.log(`PORT=${(server.address() as AddressInfo).port}`));
