import assert from 'node:assert/strict';
import { IMPRESSION_COLUMNS } from '../../src/domain/impressions/impressionSchema';
import { intakeObjectKey, minuteLabel, minuteOf } from '../../src/domain/impressions/intakeKeys';
import {
  describeBodyIssue,
  impressionMode,
  machineHeader,
  parseSdkVersion,
  SdkHeaderError,
  sdkBulkBodySchema,
  sdkIdentity,
} from '../../src/domain/impressions/sdkProtocol';
import { sdkKeyRegistrationSchema, trafficTypeFor } from '../../src/domain/impressions/sdkKeys';

describe('impression schema: the seed\'s fourteen columns', () => {
  it('lists the seed\'s columns in its order with its types', () => {
    assert.deepEqual(
      IMPRESSION_COLUMNS.map((c) => `${c.name}:${c.type}`),
      ['key:String', 'label:String', 'treatment:String', 'splitName:String', 'splitVersion:Long', 'properties:String', 'environmentId:String', 'trafficTypeId:String', 'sdk:String', 'sdkVersion:String', 'machineName:String', 'machineIp:String', 'timestamp:Long', 'receptionTimestamp:Long'],
    );
  });

  it('makes nullable the seed\'s nullable machine columns and what SDKs may leave out (label, splitVersion, properties)', () => {
    assert.deepEqual(IMPRESSION_COLUMNS.filter((c) => c.nullable).map((c) => c.name), ['label', 'splitVersion', 'properties', 'machineName', 'machineIp']);
  });
});

describe('SDK protocol: headers and bodies', () => {
  it('splits SplitSDKVersion at the first hyphen before a digit', () => {
    assert.deepEqual(parseSdkVersion('nodejs-11.11.2'), { sdk: 'nodejs', sdkVersion: '11.11.2' });
    assert.deepEqual(parseSdkVersion('react-native-1.0.0-rc.1'), { sdk: 'react-native', sdkVersion: '1.0.0-rc.1' });
    assert.deepEqual(parseSdkVersion('.NET_CORE-7.9.0'), { sdk: '.NET_CORE', sdkVersion: '7.9.0' });
  });

  it('refuses a missing SplitSDKVersion, or one without a version', () => {
    assert.throws(() => parseSdkVersion(undefined), SdkHeaderError);
    assert.throws(() => parseSdkVersion('  '), SdkHeaderError);
    assert.throws(() => parseSdkVersion('nodejs'), /not <language>-<version>/);
  });

  it("takes machine headers 'unknown', 'NA' or empty as null", () => {
    assert.deepEqual(['unknown', 'UNKNOWN', 'NA', '', undefined, ' host-1 '].map(machineHeader), [null, null, null, null, null, 'host-1']);
  });

  it('reads the impressions mode, unknown when absent or not one of the SDKs\'', () => {
    assert.deepEqual(['debug', 'OPTIMIZED', 'NONE', undefined, 'x'].map(impressionMode), ['DEBUG', 'OPTIMIZED', 'NONE', 'unknown', 'unknown']);
  });

  it('reads the identity from lower-case header names, as Node delivers them', () => {
    assert.deepEqual(sdkIdentity({ splitsdkversion: 'go-6.6.0', splitsdkmachinename: 'h', splitsdkmachineip: '1.2.3.4', splitsdkimpressionsmode: 'DEBUG' }), {
      sdk: 'go', sdkVersion: '6.6.0', machineName: 'h', machineIp: '1.2.3.4', mode: 'DEBUG',
    });
  });

  it('accepts left-out optional fields and nulls, and names the first bad field with its path', () => {
    assert.ok(sdkBulkBodySchema.safeParse([{ f: 'a', i: [{ k: 'u', t: 'on', m: 1, b: null, properties: null }] }]).success);
    const bad = sdkBulkBodySchema.safeParse([{ f: 'a', i: [{ k: 'u', t: 'on', m: 1 }] }, { f: 'b', i: [{ k: 'u', t: 'on', m: 2 ** 60 }] }]);
    assert.ok(!bad.success);
    assert.match(describeBodyIssue(bad.error), /^\[1\]\.i\[0\]\.m: /);
    const notArray = sdkBulkBodySchema.safeParse({ f: 'a' });
    assert.ok(!notArray.success);
    assert.match(describeBodyIssue(notArray.error), /^the body: /);
  });
});

describe('intake keys: partitions by environment and reception minute', () => {
  it('labels a minute in UTC, sortable, and puts a batch under its environment and minute', () => {
    const ms = Date.UTC(2026, 11, 2, 11, 5, 42, 123);
    assert.equal(minuteOf(ms), Date.UTC(2026, 11, 2, 11, 5));
    assert.equal(minuteLabel(ms), '20261202T1105Z');
    assert.equal(intakeObjectKey('batches', 'env/1 a', ms, 'n'), `impressions/batches/env=env%2F1%20a/minute=20261202T1105Z/${ms}-n.parquet`);
  });
});

describe('SDK keys: registrations', () => {
  it('uses the per-flag traffic type, else the default', () => {
    const reg = sdkKeyRegistrationSchema.parse({ environmentId: 'e', trafficTypeId: 'user', flagTrafficTypes: { billing: 'account' } });
    assert.deepEqual([trafficTypeFor(reg, 'billing'), trafficTypeFor(reg, 'other')], ['account', 'user']);
  });

  it('refuses environment ids with characters that would need escaping', () => {
    assert.ok(!sdkKeyRegistrationSchema.safeParse({ environmentId: 'a/b', trafficTypeId: 'user' }).success);
    assert.ok(!sdkKeyRegistrationSchema.safeParse({ environmentId: '', trafficTypeId: 'user' }).success);
  });
});
