// A real webhook receiver on loopback (node:http): the mock delivers to it over TCP, and the tests
// read back exactly the bytes and headers that arrived.

import { createServer } from 'node:http';

/**
 * `{ url, deliveries, find(predicate), status, close() }`. Every request is kept as
 * `{ method, path, headers, body }` (body: the raw text) and answered `receiver.status` (200
 * unless set otherwise, at start or later).
 * The mock makes its attempts before answering the call that caused them (webhooks.test,
 * POST /_mock/clock), so a delivery is here by the time that call has returned.
 */
export async function startReceiver({ status = 200 } = {}) {
  const deliveries = [];
  const receiver = { status };
  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => {
      const delivery = { method: req.method, path: req.url, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      deliveries.push(delivery);
      res.writeHead(receiver.status, { 'content-type': 'text/plain' }).end('ok');
    });
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address();
  return Object.assign(receiver, {
    url: `http://127.0.0.1:${port}/hooks/mailsentinel`,
    deliveries,
    /** The deliveries received so far whose parsed body matches. */
    find(predicate) {
      return deliveries.filter((d) => predicate(JSON.parse(d.body), d));
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  });
}
