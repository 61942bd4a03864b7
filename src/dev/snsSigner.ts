import { createSign, generateKeyPairSync, KeyObject, randomUUID } from 'node:crypto';
import { SnsMessage, snsStringToSign } from '../domain/notifications/snsMessage';

/**
 * Signs SNS messages as SNS does, with a key of its own: for the bench and for peers that play
 * SNS (tests serve `publicKeyPem` as the certificate). Real deployments never use it.
 */
export class SnsSigner {
  readonly publicKeyPem: string;
  private readonly privateKey: KeyObject;

  constructor(readonly region = 'us-east-1') {
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    this.publicKeyPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
    this.privateKey = privateKey;
  }

  get certificateUrl(): string {
    return `https://sns.${this.region}.amazonaws.com/SimpleNotificationService-0123456789abcdef0123456789abcdef.pem`;
  }

  /** A signed Notification carrying `message` (an S3 event's JSON), as SNS posts it. */
  notification(topicArn: string, message: string, opts: { subject?: string; signatureVersion?: '1' | '2' } = {}): SnsMessage {
    const unsigned = {
      Type: 'Notification' as const,
      MessageId: randomUUID(),
      TopicArn: topicArn,
      ...(opts.subject !== undefined ? { Subject: opts.subject } : {}),
      Message: message,
      Timestamp: new Date().toISOString(),
      SignatureVersion: opts.signatureVersion ?? '2',
      Signature: '',
      SigningCertURL: this.certificateUrl,
    };
    return { ...unsigned, Signature: this.sign(unsigned) };
  }

  sign(m: SnsMessage): string {
    return createSign(m.SignatureVersion === '1' ? 'RSA-SHA1' : 'RSA-SHA256').update(snsStringToSign(m), 'utf8').sign(this.privateKey, 'base64');
  }
}

/** The S3 event notification of one created object, as S3 sends it to SNS (key URL-encoded). */
export function s3CreatedEvent(bucket: string, key: string, size: number, eTag: string, at = new Date()): string {
  const encoded = encodeURIComponent(key).replace(/%20/g, '+').replace(/%2F/g, '/');
  return JSON.stringify({
    Records: [
      {
        eventVersion: '2.1',
        eventSource: 'aws:s3',
        eventTime: at.toISOString(),
        eventName: 'ObjectCreated:Put',
        s3: { bucket: { name: bucket, arn: `arn:aws:s3:::${bucket}` }, object: { key: encoded, size, eTag } },
      },
    ],
  });
}
