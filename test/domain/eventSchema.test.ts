import assert from 'node:assert/strict';
import { EVENT_COLUMNS, eventSchema, REQUIRED_COLUMNS, TIMESTAMP_MAX_MS, TIMESTAMP_MIN_MS } from '../../src/domain/eventSchema';

const event = { environmentId: 'env-a', trafficTypeId: 'user', eventTypeId: 'checkout', key: 'u1', timestamp: 1_700_000_000_000 };

describe('eventSchema', () => {
  it('the timestamp range is [2000-01-01, 2100-01-01) UTC in ms', () => {
    assert.equal(TIMESTAMP_MIN_MS, Date.UTC(2000, 0, 1));
    assert.equal(TIMESTAMP_MIN_MS, 946_684_800_000);
    assert.equal(TIMESTAMP_MAX_MS, Date.UTC(2100, 0, 1));
    assert.equal(TIMESTAMP_MAX_MS, 4_102_444_800_000);
  });

  it('lists the contract columns in order; five are required', () => {
    assert.deepEqual(
      EVENT_COLUMNS.map((c) => `${c.name}:${c.type}`),
      ['environmentId:String', 'trafficTypeId:String', 'eventTypeId:String', 'key:String', 'timestamp:Long', 'value:Double', 'properties:Map<String,String>'],
    );
    assert.deepEqual(REQUIRED_COLUMNS, ['environmentId', 'trafficTypeId', 'eventTypeId', 'key', 'timestamp']);
  });

  it('the JSON event schema applies the same timestamp bounds', () => {
    assert.equal(eventSchema.safeParse({ ...event, timestamp: 946_684_800_000 }).success, true);
    assert.equal(eventSchema.safeParse({ ...event, timestamp: 946_684_799_999 }).success, false);
    assert.equal(eventSchema.safeParse({ ...event, timestamp: 4_102_444_799_999 }).success, true);
    assert.equal(eventSchema.safeParse({ ...event, timestamp: 4_102_444_800_000 }).success, false);
    assert.equal(eventSchema.safeParse({ ...event, timestamp: 1_700_000_000 }).success, false);
    assert.equal(eventSchema.safeParse({ ...event, timestamp: 1_700_000_000_000.5 }).success, false);
  });

  it('value and properties are optional and nullable; the others are required strings', () => {
    assert.equal(eventSchema.safeParse(event).success, true);
    assert.equal(eventSchema.safeParse({ ...event, value: null, properties: null }).success, true);
    assert.equal(eventSchema.safeParse({ ...event, value: 1.5, properties: { a: 'b' } }).success, true);
    assert.equal(eventSchema.safeParse({ ...event, properties: { a: 1 } }).success, false);
    const noKey: Partial<typeof event> = { ...event };
    delete noKey.key;
    assert.equal(eventSchema.safeParse(noKey).success, false);
    assert.equal(eventSchema.safeParse({ ...event, environmentId: null }).success, false);
  });
});
