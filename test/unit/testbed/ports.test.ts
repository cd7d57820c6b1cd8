/**
 * freePort: loopback ports for processes that bind them later, below the ephemeral range, so that no outgoing
 * connection can take one as its source port in between; never the same port twice in one process.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { ephemeralPortLow, freePort } from '../../../src/testbed/index.js';

test('the ephemeral range starts where Linux says (or 32768)', () => {
  const low = ephemeralPortLow();
  assert.ok(Number.isInteger(low) && low > 4096 && low <= 65535, String(low));
});

test('freePort gives distinct bindable ports below the ephemeral range', async () => {
  const low = ephemeralPortLow();
  const ports: number[] = [];
  for (let i = 0; i < 40; i++) ports.push(await freePort());
  assert.equal(new Set(ports).size, ports.length, `a port handed out twice: ${ports.join(', ')}`);
  for (const port of ports) {
    assert.ok(port >= 1024 && port < low, `${port} is not below the ephemeral range (${low})`);
    await new Promise<void>((res, rej) => {
      const s = createServer();
      s.once('error', rej);
      s.listen(port, '127.0.0.1', () => s.close(() => res()));
    });
  }
});
