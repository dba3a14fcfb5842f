import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isoUtc } from '../../xmpp/utc.ts';

const iso = (ms: number) => new Date(ms).toISOString();

test('isoUtc writes what toISOString writes, at the edges of days, months, leap years and centuries', () => {
  const edges = ['0000-01-01T00:00:00.000Z', '0000-02-29T12:00:00.000Z', '1900-02-28T23:59:59.999Z', '1900-03-01T00:00:00.000Z', '1969-12-31T23:59:59.999Z',
    '1970-01-01T00:00:00.000Z', '2000-02-29T00:00:00.001Z', '2024-12-31T23:59:59.999Z', '2026-12-01T19:15:03.123Z', '2100-03-01T00:00:00.000Z', '9999-12-31T23:59:59.999Z'];
  for (const text of edges) {
    const ms = Date.parse(text);
    for (const near of [ms - 1, ms, ms + 1]) assert.equal(isoUtc(near), iso(near), String(near));
  }
});

test('isoUtc agrees with toISOString on 100,000 times spread over years 0 to 9999', () => {
  let seed = 12_345;
  const random = () => ((seed = (seed * 48_271) % 2_147_483_647), seed / 2_147_483_647);
  const [first, end] = [Date.parse('0000-01-01T00:00:00Z'), Date.parse('9999-12-31T23:59:59.999Z')];
  for (let i = 0; i < 100_000; i++) {
    const ms = Math.floor(first + random() * (end - first));
    assert.equal(isoUtc(ms), iso(ms), String(ms));
  }
});

test('outside four-digit years isoUtc is toISOString itself, and an invalid time throws as it does', () => {
  for (const ms of [Date.parse('-000001-12-31T00:00:00Z'), Date.parse('+010000-01-01T00:00:00Z'), 8.64e15]) assert.equal(isoUtc(ms), iso(ms));
  assert.throws(() => isoUtc(Number.NaN), RangeError);
});
