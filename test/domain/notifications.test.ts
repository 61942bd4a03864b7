import assert from 'node:assert/strict';
import { isSnsCertificateUrl, isSnsSubscribeUrl, regionOfTopicArn, SnsMessage, snsMessageSchema, snsStringToSign } from '../../src/domain/notifications/snsMessage';
import { decodeS3EventKey, s3EventMessageSchema } from '../../src/domain/notifications/s3Event';
import { routeKey } from '../../src/domain/notifications/keyRouting';
import type { KnownIntegration } from '../../src/domain/integration/conflicts';
import type { InboundConfig } from '../../src/domain/integration/inboundConfig';

const TOPIC = 'arn:aws:sns:us-east-1:123456789012:fme-events';
const CERT = 'https://sns.us-east-1.amazonaws.com/SimpleNotificationService-0123abcd.pem';

const common = {
  MessageId: '22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324',
  TopicArn: TOPIC,
  Message: '{"Records":[]}',
  Timestamp: '2024-05-01T12:00:00.000Z',
  SignatureVersion: '2' as const,
  Signature: 'c2lnbmF0dXJl',
  SigningCertURL: CERT,
};

describe('notifications: SNS messages', () => {
  describe('snsStringToSign (AWS order: Message, MessageId, Subject if present, Timestamp, TopicArn, Type)', () => {
    it('a Notification without a Subject signs Message, MessageId, Timestamp, TopicArn and Type, each as "Name\\nvalue\\n"', () => {
      const m: SnsMessage = { Type: 'Notification', ...common };
      assert.equal(
        snsStringToSign(m),
        'Message\n{"Records":[]}\n' +
          'MessageId\n22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324\n' +
          'Timestamp\n2024-05-01T12:00:00.000Z\n' +
          'TopicArn\narn:aws:sns:us-east-1:123456789012:fme-events\n' +
          'Type\nNotification\n',
      );
    });

    it('a Notification with a Subject signs it between MessageId and Timestamp; Signature, SigningCertURL and UnsubscribeURL are never signed', () => {
      const m: SnsMessage = { Type: 'Notification', ...common, Subject: 'Amazon S3 Notification', UnsubscribeURL: 'https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe' };
      assert.equal(
        snsStringToSign(m),
        'Message\n{"Records":[]}\n' +
          'MessageId\n22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324\n' +
          'Subject\nAmazon S3 Notification\n' +
          'Timestamp\n2024-05-01T12:00:00.000Z\n' +
          'TopicArn\narn:aws:sns:us-east-1:123456789012:fme-events\n' +
          'Type\nNotification\n',
      );
    });

    it('an empty Subject is present, so it is signed (only an absent one is left out)', () => {
      const m: SnsMessage = { Type: 'Notification', ...common, Subject: '' };
      assert.match(snsStringToSign(m), /MessageId\n[^\n]+\nSubject\n\nTimestamp\n/);
    });

    it('a SubscriptionConfirmation signs Message, MessageId, SubscribeURL, Timestamp, Token, TopicArn and Type', () => {
      const m: SnsMessage = {
        Type: 'SubscriptionConfirmation',
        ...common,
        Message: 'You have chosen to subscribe to the topic.\nTo confirm the subscription, visit the SubscribeURL included in this message.',
        SubscribeURL: 'https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription&TopicArn=x&Token=tok',
        Token: 'tok',
      };
      assert.equal(
        snsStringToSign(m),
        'Message\nYou have chosen to subscribe to the topic.\nTo confirm the subscription, visit the SubscribeURL included in this message.\n' +
          'MessageId\n22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324\n' +
          'SubscribeURL\nhttps://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription&TopicArn=x&Token=tok\n' +
          'Timestamp\n2024-05-01T12:00:00.000Z\n' +
          'Token\ntok\n' +
          'TopicArn\narn:aws:sns:us-east-1:123456789012:fme-events\n' +
          'Type\nSubscriptionConfirmation\n',
      );
    });

    it('an UnsubscribeConfirmation signs the same fields as a SubscriptionConfirmation', () => {
      const m: SnsMessage = { Type: 'UnsubscribeConfirmation', ...common, SubscribeURL: 'https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription', Token: 't' };
      assert.equal(
        snsStringToSign(m),
        `Message\n{"Records":[]}\nMessageId\n${common.MessageId}\nSubscribeURL\nhttps://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription\nTimestamp\n${common.Timestamp}\nToken\nt\nTopicArn\n${TOPIC}\nType\nUnsubscribeConfirmation\n`,
      );
    });
  });

  describe('snsMessageSchema', () => {
    it('refuses a message without a Signature, or with a signature version SNS does not use', () => {
      const unsigned: Record<string, unknown> = { Type: 'Notification', ...common };
      delete unsigned.Signature;
      assert.equal(snsMessageSchema.safeParse(unsigned).success, false);
      assert.equal(snsMessageSchema.safeParse({ Type: 'Notification', ...common, SignatureVersion: '3' }).success, false);
      assert.equal(snsMessageSchema.safeParse({ Type: 'Notification', ...common }).success, true);
    });

    it('refuses a SubscriptionConfirmation without a SubscribeURL', () => {
      assert.equal(snsMessageSchema.safeParse({ Type: 'SubscriptionConfirmation', ...common, Token: 't' }).success, false);
    });
  });

  describe('isSnsCertificateUrl', () => {
    it("accepts SNS's own certificate location in the topic's region", () => {
      assert.equal(regionOfTopicArn(TOPIC), 'us-east-1');
      assert.equal(isSnsCertificateUrl(CERT, TOPIC), true);
    });

    const refused: [string, string][] = [
      ['plain http', 'http://sns.us-east-1.amazonaws.com/SimpleNotificationService-0123abcd.pem'],
      ['another region', 'https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-0123abcd.pem'],
      ['a host that only starts like SNS', 'https://sns.us-east-1.amazonaws.com.evil.com/SimpleNotificationService-0123abcd.pem'],
      ['the SNS host as a path of another host', 'https://evil.com/sns.us-east-1.amazonaws.com/SimpleNotificationService-0123abcd.pem'],
      ['a subdomain of the SNS host', 'https://evil.sns.us-east-1.amazonaws.com/SimpleNotificationService-0123abcd.pem'],
      ['a port', 'https://sns.us-east-1.amazonaws.com:8443/SimpleNotificationService-0123abcd.pem'],
      ['a user name', 'https://user@sns.us-east-1.amazonaws.com/SimpleNotificationService-0123abcd.pem'],
      ['a user name and password', 'https://user:pw@sns.us-east-1.amazonaws.com/SimpleNotificationService-0123abcd.pem'],
      ['a password alone', 'https://:pw@sns.us-east-1.amazonaws.com/SimpleNotificationService-0123abcd.pem'],
      ['a query', 'https://sns.us-east-1.amazonaws.com/SimpleNotificationService-0123abcd.pem?x=1'],
      ['another path', 'https://sns.us-east-1.amazonaws.com/certs/SimpleNotificationService-0123abcd.pem'],
      ['another file name', 'https://sns.us-east-1.amazonaws.com/mine.pem'],
      ['a non-hex name', 'https://sns.us-east-1.amazonaws.com/SimpleNotificationService-xyz.pem'],
      ['not a URL', 'sns.us-east-1.amazonaws.com/SimpleNotificationService-0123abcd.pem'],
    ];
    for (const [what, url] of refused) {
      it(`refuses ${what}: ${url}`, () => {
        assert.equal(isSnsCertificateUrl(url, TOPIC), false);
      });
    }

    it('refuses any URL when the topic ARN names no region', () => {
      assert.equal(isSnsCertificateUrl('https://sns..amazonaws.com/SimpleNotificationService-0123abcd.pem', 'arn:aws:sns::123456789012:t'), false);
      assert.equal(isSnsCertificateUrl(CERT, 'not-an-arn'), false);
    });
  });

  describe('isSnsSubscribeUrl', () => {
    const subscribe = 'https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription&TopicArn=arn:aws:sns:us-east-1:123456789012:fme-events&Token=2336412f37';

    it("accepts a SubscribeURL on the SNS host of the topic's region, with its query", () => {
      assert.equal(isSnsSubscribeUrl(subscribe, TOPIC), true);
    });

    it('refuses plain http, another region, another host, a look-alike host, a port and a non-URL', () => {
      assert.equal(isSnsSubscribeUrl(subscribe.replace('https:', 'http:'), TOPIC), false);
      assert.equal(isSnsSubscribeUrl(subscribe.replace('sns.us-east-1', 'sns.eu-west-1'), TOPIC), false);
      assert.equal(isSnsSubscribeUrl('https://evil.com/?Action=ConfirmSubscription', TOPIC), false);
      assert.equal(isSnsSubscribeUrl('https://sns.us-east-1.amazonaws.com.evil.com/?Action=ConfirmSubscription', TOPIC), false);
      assert.equal(isSnsSubscribeUrl('https://sns.us-east-1.amazonaws.com:8443/?Action=ConfirmSubscription', TOPIC), false);
      assert.equal(isSnsSubscribeUrl('not a url', TOPIC), false);
    });
  });
});

describe('notifications: S3 event records', () => {
  describe('decodeS3EventKey', () => {
    it('turns "+" into a space', () => {
      assert.equal(decodeS3EventKey('in/with+space.parquet'), 'in/with space.parquet');
    });

    it('turns %2B into a literal plus (after "+" became a space, so the two never mix)', () => {
      assert.equal(decodeS3EventKey('in/plus%2Bsign.parquet'), 'in/plus+sign.parquet');
      assert.equal(decodeS3EventKey('in/a+%2B+b.parquet'), 'in/a + b.parquet');
    });

    it('decodes UTF-8 percent escapes (accents)', () => {
      assert.equal(decodeS3EventKey('in/acc%C3%A9nts+%C3%A9%C3%BC.parquet'), 'in/accénts éü.parquet');
    });

    it('leaves a key without escapes as it is', () => {
      assert.equal(decodeS3EventKey('in/2024/01/file.parquet'), 'in/2024/01/file.parquet');
    });

    it('throws on a malformed percent escape', () => {
      assert.throws(() => decodeS3EventKey('in/100%.parquet'), URIError);
      assert.throws(() => decodeS3EventKey('in/%E0%A4%A.parquet'), URIError);
      assert.throws(() => decodeS3EventKey('in/%C3.parquet'), URIError);
    });
  });

  describe('s3EventMessageSchema', () => {
    it('accepts an S3 event with Records as S3 sends it (extra fields kept out of the way)', () => {
      const event = {
        Records: [
          {
            eventVersion: '2.1',
            eventSource: 'aws:s3',
            awsRegion: 'us-east-1',
            eventTime: '2024-05-01T12:00:00.000Z',
            eventName: 'ObjectCreated:Put',
            userIdentity: { principalId: 'AWS:X' },
            s3: {
              s3SchemaVersion: '1.0',
              configurationId: 'fme',
              bucket: { name: 'b', ownerIdentity: { principalId: 'X' }, arn: 'arn:aws:s3:::b' },
              object: { key: 'in/with+space.parquet', size: 1024, eTag: 'd41d8cd98f00b204e9800998ecf8427e', versionId: 'v1', sequencer: '0055AED6DCD90281E5' },
            },
          },
        ],
      };
      const parsed = s3EventMessageSchema.parse(event);
      assert.ok('Records' in parsed);
      assert.equal(parsed.Records[0]!.s3.object.key, 'in/with+space.parquet');
      assert.equal(parsed.Records[0]!.s3.object.size, 1024);
    });

    it("accepts moto's records, which have no versionId or sequencer", () => {
      const parsed = s3EventMessageSchema.parse({
        Records: [{ eventName: 'ObjectCreated:Put', eventTime: '2024-05-01T12:00:00.000Z', s3: { bucket: { name: 'b' }, object: { key: 'k', size: 1, eTag: 'e' } } }],
      });
      assert.ok('Records' in parsed && parsed.Records[0]!.s3.object.versionId === undefined);
    });

    it('accepts the s3:TestEvent S3 sends when notifications are set up', () => {
      const parsed = s3EventMessageSchema.parse({ Service: 'Amazon S3', Event: 's3:TestEvent', Time: '2024-05-01T12:00:00.000Z', Bucket: 'b', RequestId: 'r', HostId: 'h' });
      assert.ok('Event' in parsed && parsed.Event === 's3:TestEvent');
    });

    it('refuses other messages: another event, a record without a key, no records at all', () => {
      assert.equal(s3EventMessageSchema.safeParse({ Event: 's3:SomethingElse' }).success, false);
      assert.equal(s3EventMessageSchema.safeParse({ Records: [{ eventName: 'ObjectCreated:Put', eventTime: 't', s3: { bucket: { name: 'b' }, object: {} } }] }).success, false);
      assert.equal(s3EventMessageSchema.safeParse({ hello: 'world' }).success, false);
    });
  });
});

describe('notifications: key routing (the loop rules)', () => {
  const config = (o: Partial<InboundConfig> = {}): InboundConfig => ({
    environments: ['env-1'],
    bucket: 'b',
    region: 'us-east-1',
    prefix: 'in',
    suffixes: ['.parquet'],
    topicArn: TOPIC,
    statusPrefix: 'status',
    ...o,
  });
  const known = (id: string, o: Partial<InboundConfig>, deleted = false): KnownIntegration => ({ id, config: config(o), deleted, ...(deleted ? { deletedAt: 1 } : {}) });

  const mine = known('mine', {});
  const wholeBucket = known('whole', { prefix: '', suffixes: [], statusPrefix: 'whole-status' });
  const tombstone = known('gone', { prefix: 'old', suffixes: [], statusPrefix: 'old-status' }, true);
  const elsewhere = known('elsewhere', { bucket: 'other', prefix: '', suffixes: [], statusPrefix: 'x-status' });
  const all = [mine, wholeBucket, tombstone, elsewhere];

  it('takes a key of its own bucket inside its filters', () => {
    assert.deepEqual(routeKey(mine, 'b', 'in/2024/file.parquet', all), { take: true });
  });

  it('ignores a record of another bucket, even one another integration watches', () => {
    assert.deepEqual(routeKey(mine, 'other', 'in/file.parquet', all), { take: false, because: 'other-bucket' });
  });

  it('ignores every key under a status folder of any integration on the bucket, its own, another live one and a tombstone', () => {
    for (const key of ['whole-status/2024-05-01/12-00-00.000.UTC_report.status', 'old-status/2024-05-01/12-00-00.000.UTC_report.status', 'status/x.parquet']) {
      assert.deepEqual(routeKey(wholeBucket, 'b', key, all), { take: false, because: 'status-folder' }, key);
    }
    // A status folder of another bucket's integration is an ordinary folder here.
    assert.deepEqual(routeKey(wholeBucket, 'b', 'x-status/file.parquet', all), { take: true });
  });

  it('ignores keys outside the prefix folder or the suffixes, including a sibling folder sharing the prefix letters', () => {
    assert.deepEqual(routeKey(mine, 'b', 'elsewhere/file.parquet', all), { take: false, because: 'outside-filters' });
    assert.deepEqual(routeKey(mine, 'b', 'input/file.parquet', all), { take: false, because: 'outside-filters' });
    assert.deepEqual(routeKey(mine, 'b', 'in/file.csv', all), { take: false, because: 'outside-filters' });
    assert.deepEqual(routeKey(mine, 'b', 'in/file.PARQUET', all), { take: false, because: 'outside-filters' });
  });

  it("gives a deleted integration's key to the live integration that now covers it, and leaves the tombstone the keys no one else covers", () => {
    const dead = known('dead', { prefix: 'in', suffixes: [], statusPrefix: 'dead-status' }, true);
    const everyone = [mine, dead];
    assert.deepEqual(routeKey(dead, 'b', 'in/file.parquet', everyone), { take: false, because: 'owned-by-live-integration' });
    assert.deepEqual(routeKey(dead, 'b', 'in/file.csv', everyone), { take: true });
    // The live integration keeps taking it.
    assert.deepEqual(routeKey(mine, 'b', 'in/file.parquet', everyone), { take: true });
    // Another tombstone covering the key is no owner.
    const otherDead = known('other-dead', { prefix: 'in', suffixes: [], statusPrefix: 'od-status' }, true);
    assert.deepEqual(routeKey(dead, 'b', 'in/file.parquet', [dead, otherDead]), { take: true });
  });
});
