import http from 'node:http';
import express from 'express';

/**
 * The floor under the API benchmark, run as its own process: a server that does none of Kiln's
 * work, only what every `POST /v1/jobs` pays for before Kiln's code runs (`node:http` alone, or
 * Express with its JSON body parser) and a 202 with a small JSON body. It prints its port.
 */
const kind = process.argv[2] === 'express' ? 'express' : 'http';
let server: http.Server;
if (kind === 'express') {
  const app = express();
  app.use(express.json({ limit: '64kb' }));
  app.post('/v1/jobs', (req, res) => {
    res.status(202).json({ id: crypto.randomUUID(), status: 'queued', request: req.body as unknown });
  });
  server = http.createServer(app);
} else {
  server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.stringify({
        id: crypto.randomUUID(),
        status: 'queued',
        request: JSON.parse(Buffer.concat(chunks).toString()) as unknown,
      });
      res.writeHead(202, {
        'content-type': 'application/json; charset=utf-8',
        'content-length': Buffer.byteLength(body),
      });
      res.end(body);
    });
  });
}
server.keepAliveTimeout = 65_000;
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(`${typeof address === 'object' && address ? address.port : 0}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
