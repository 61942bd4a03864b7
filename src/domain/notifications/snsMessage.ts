import { z } from 'zod';

/**
 * An SNS HTTP(S) delivery, as its JSON body. Only what signature verification and routing need is
 * typed; the schema is strict about those fields so a forged or truncated body fails here, with
 * the field named, before any certificate is fetched.
 */
const common = {
  MessageId: z.string().min(1),
  TopicArn: z.string().min(1),
  Message: z.string(),
  Timestamp: z.string().min(1),
  SignatureVersion: z.enum(['1', '2']),
  Signature: z.string().min(1),
  SigningCertURL: z.string().min(1),
};

export const snsMessageSchema = z.discriminatedUnion('Type', [
  z.object({ Type: z.literal('Notification'), ...common, Subject: z.string().optional(), UnsubscribeURL: z.string().optional() }),
  z.object({ Type: z.literal('SubscriptionConfirmation'), ...common, SubscribeURL: z.string().min(1), Token: z.string().min(1) }),
  z.object({ Type: z.literal('UnsubscribeConfirmation'), ...common, SubscribeURL: z.string().min(1), Token: z.string().min(1) }),
]);
export type SnsMessage = z.infer<typeof snsMessageSchema>;

/**
 * The string SNS signs, per message type: "Name\nvalue\n" for each signed field in this order.
 * A Notification signs Subject only when it has one (real S3 deliveries do, moto's do not).
 */
export function snsStringToSign(m: SnsMessage): string {
  const fields: [string, string | undefined][] =
    m.Type === 'Notification'
      ? [['Message', m.Message], ['MessageId', m.MessageId], ['Subject', m.Subject], ['Timestamp', m.Timestamp], ['TopicArn', m.TopicArn], ['Type', m.Type]]
      : [['Message', m.Message], ['MessageId', m.MessageId], ['SubscribeURL', m.SubscribeURL], ['Timestamp', m.Timestamp], ['Token', m.Token], ['TopicArn', m.TopicArn], ['Type', m.Type]];
  return fields
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}\n${v}\n`)
    .join('');
}

/** The region in an SNS topic ARN (`arn:aws:sns:<region>:<account>:<name>`). */
export const regionOfTopicArn = (topicArn: string) => topicArn.split(':')[3] ?? '';

/** SNS's host for the topic's region (China's regions are under amazonaws.com.cn). */
export function snsHostOf(topicArn: string): string {
  const region = regionOfTopicArn(topicArn);
  return `sns.${region}.amazonaws.com${topicArn.startsWith('arn:aws-cn:') ? '.cn' : ''}`;
}

/**
 * Only SNS's own certificate location for the topic's region: anything else (another host, a
 * path, a port, plain http, a redirect target) could be a certificate the sender made itself.
 */
export function isSnsCertificateUrl(url: string, topicArn: string): boolean {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return false;
  }
  const region = regionOfTopicArn(topicArn);
  return (
    u.protocol === 'https:' &&
    u.port === '' &&
    u.username === '' &&
    u.password === '' &&
    u.search === '' &&
    /^[a-z]{2}(-[a-z]+)+-\d+$/.test(region) &&
    u.hostname === snsHostOf(topicArn) &&
    /^\/SimpleNotificationService-[0-9a-f]+\.pem$/.test(u.pathname)
  );
}

/** A SubscribeURL is fetched to confirm a subscription: only on an SNS host of the topic's region. */
export function isSnsSubscribeUrl(url: string, topicArn: string): boolean {
  try {
    const u = new URL(url);
    return u.protocol === 'https:' && u.port === '' && u.hostname === snsHostOf(topicArn);
  } catch {
    return false;
  }
}
