import { test } from 'node:test';
import assert from 'node:assert/strict';
import { leaseExpiry, microTime } from '../../../src/cluster/index.js';
import { machineTokenId } from '../../../src/provisioner/machine/index.js';

test('microTime is RFC 3339 with microseconds, as Lease renewTime is written by client-go', () => {
  assert.equal(microTime(new Date('2026-12-06T05:00:01.234Z')), '2026-12-06T05:00:01.234000Z');
});

test('a lease held by another expires leaseDurationSeconds after its renewTime, or after it was seen when that time is ahead of ours', () => {
  const now = Date.parse('2026-12-06T05:00:10Z');
  const spec = { holderIdentity: 'a', leaseDurationSeconds: 4, renewTime: '2026-12-06T05:00:08.000000Z' };
  assert.equal(leaseExpiry(spec, now, now, 15_000), Date.parse('2026-12-06T05:00:12Z'));
  // Seen earlier than its renewTime claims (clock ahead by < 1 s): counted from when it was seen.
  assert.equal(leaseExpiry(spec, Date.parse('2026-12-06T05:00:07.5Z'), now, 15_000), Date.parse('2026-12-06T05:00:11.5Z'));
  // renewTime far ahead of our clock: only what we saw counts.
  const ahead = { ...spec, renewTime: '2026-12-06T06:00:00.000000Z' };
  assert.equal(leaseExpiry(ahead, now, now, 15_000), now + 4000);
  // No duration in the record: the configured one.
  assert.equal(leaseExpiry({ holderIdentity: 'a' }, now, now, 15_000), now + 15_000);
});

test('machineTokenId: 6 of [a-z0-9], the same for a name every time, spread over names', () => {
  assert.equal(machineTokenId('worker-1'), machineTokenId('worker-1'));
  const ids = new Set<string>();
  for (let i = 0; i < 5000; i++) {
    const id = machineTokenId(`worker-${i}`);
    assert.match(id, /^[a-z0-9]{6}$/);
    ids.add(id);
  }
  assert.equal(ids.size, 5000, 'no two of 5000 names share an id');
});
