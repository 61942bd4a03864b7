import assert from 'node:assert/strict';
import { committedOutcome } from '../../src/activities/activityMetrics';

const g = (valid: boolean, errors: string[], numberOfRows: number) => ({ valid, errors, warnings: [], numberOfRows });

describe('what a committed pass came to (fme_files_total outcome)', () => {
  it('an unreadable file whose one entry counts 0 rows (no footer) is rejected, not valid', () => {
    assert.equal(committedOutcome([g(false, ['INVALID_SCHEMA'], 0)], 0), 'rejected');
  });

  it('a schema-invalid file with its footer rows is rejected', () => {
    assert.equal(committedOutcome([g(false, ['INVALID_SCHEMA'], 500)], 0), 'rejected');
  });

  it('stored rows beside invalid ones are invalid-rows; only valid groups are valid', () => {
    assert.equal(committedOutcome([g(true, [], 90), g(false, ['INVALID_TIMESTAMP'], 10)], 2), 'invalid-rows');
    assert.equal(committedOutcome([g(true, [], 100)], 1), 'valid');
    assert.equal(committedOutcome([g(true, [], 0)], 0), 'valid', 'an empty file');
  });

  it('a pass committed by a workflow from before integrations (no content record) is unknown', () => {
    assert.equal(committedOutcome(undefined, 3), 'unknown');
  });
});
