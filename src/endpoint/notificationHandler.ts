import { decodeS3EventKey, eventTimeMs, isObjectCreated, s3EventMessageSchema, S3EventRecord } from '../domain/notifications/s3Event';
import { isSnsSubscribeUrl, SnsMessage, snsMessageSchema } from '../domain/notifications/snsMessage';
import { routeKey } from '../domain/notifications/keyRouting';
import type { KnownIntegration } from '../domain/integration/conflicts';
import type { InboundIntegrationState } from '../messages';
import type { ResolvedObject, ObjectHint } from '../s3/objectIdentity';
import { isS3Error } from '../s3/s3';
import type { IntegrationCache } from './integrationCache';
import type { Verdict } from './snsVerifier';
import type { Counters } from './counters';
import type { EndpointMetrics } from './metrics';
import type { ServiceLog } from '../http/jsonLog';

export interface Answer {
  status: number;
  body: Record<string, unknown>;
  /** The SNS message's Type, once the body was read as one (the metrics' `type` label). */
  type?: SnsMessage['Type'];
}

export type EndpointLog = ServiceLog;

export interface NotificationDeps {
  integrations: Pick<IntegrationCache, 'lookup'>;
  verify(m: SnsMessage): Promise<Verdict>;
  /** GETs a SubscribeURL already checked to be SNS's own. */
  confirmSubscription(url: string): Promise<void>;
  resolveObject(bucket: string, key: string, hint: ObjectHint, region: string): Promise<ResolvedObject>;
  /** Starts the file workflow (a no-op when it exists); resolves once the start is durable. */
  startFile(integrationId: string, file: ResolvedObject): Promise<{ started: boolean }>;
  log: EndpointLog;
  counters: Counters;
  metrics: EndpointMetrics;
}

/** A request the endpoint refuses: 4xx with a code and a detail, logged without the body. */
class Refusal extends Error {
  /** The message's Type, when the body was an SNS message. */
  type?: SnsMessage['Type'];

  constructor(
    readonly status: number,
    readonly code: string,
    detail: string,
  ) {
    super(detail);
  }
}

/** A dependency that failed (S3, Temporal, SNS's certificate host): 503, so SNS delivers again. */
class Unavailable extends Error {
  type?: SnsMessage['Type'];

  constructor(
    readonly dependency: string,
    cause: unknown,
  ) {
    super(`${dependency}: ${cause instanceof Error ? cause.message.split('\n')[0] : String(cause)}`, { cause });
  }
}

async function guarded<T>(dependency: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    throw err instanceof Refusal || err instanceof Unavailable ? err : new Unavailable(dependency, err);
  }
}

function parseJson(text: string, what: string, code: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new Refusal(400, code, `${what} is not JSON`);
  }
}

/**
 * One SNS delivery to one integration's URL. 2xx only once every file workflow it announces has
 * durably started (or its record was ignored under the loop rules); never processes a file
 * inline. Forged or malformed messages get 4xx, a failed dependency 503.
 */
export async function handleNotification(deps: NotificationDeps, integrationId: string, body: string): Promise<Answer> {
  deps.counters.add('notifications_received');
  try {
    const answer = await handle(deps, integrationId, body);
    deps.counters.add(`answered_${answer.status}`);
    return answer;
  } catch (err) {
    const type = err instanceof Refusal || err instanceof Unavailable ? err.type : undefined;
    if (err instanceof Refusal) {
      deps.counters.add(`refused_${err.code}`);
      deps.log.warn('notification refused', { integrationId, status: err.status, code: err.code, detail: err.message });
      return { status: err.status, body: { error: err.code, detail: err.message }, ...(type ? { type } : {}) };
    }
    const dependency = err instanceof Unavailable ? err.dependency : 'endpoint';
    deps.counters.add('answered_503');
    deps.log.warn('notification not taken: a dependency failed; SNS will deliver it again', { integrationId, dependency, error: err instanceof Error ? err.message : String(err) });
    return { status: 503, body: { error: 'UNAVAILABLE', detail: `${dependency} failed; deliver again later` }, ...(type ? { type } : {}) };
  }
}

/** Runs the handling of a parsed message: what it answers or throws carries the message's Type. */
async function typed(type: SnsMessage['Type'], run: () => Promise<Answer>): Promise<Answer> {
  try {
    return { ...(await run()), type };
  } catch (err) {
    if (err instanceof Refusal || err instanceof Unavailable) err.type = type;
    throw err;
  }
}

async function handle(deps: NotificationDeps, integrationId: string, body: string): Promise<Answer> {
  const { integration, all } = await guarded('integration records', () => deps.integrations.lookup(integrationId));
  // An outbound integration has no notification URL: to SNS it does not exist.
  if (!integration || integration.kind !== 'inbound') {
    deps.log.info('notification for an integration that does not exist', { integrationId });
    throw new Refusal(404, 'UNKNOWN_INTEGRATION', `no integration "${integrationId}"`);
  }
  const parsed = snsMessageSchema.safeParse(parseJson(body, 'the body', 'MALFORMED_BODY'));
  if (!parsed.success) {
    const fields = parsed.error.issues.map((i) => i.path.join('.') || 'message').join(', ');
    throw new Refusal(400, 'NOT_AN_SNS_MESSAGE', `not an SNS message (check ${fields}); raw message delivery must be off`);
  }
  const message = parsed.data;
  return typed(message.Type, () => handleMessage(deps, integration, message, all));
}

async function handleMessage(deps: NotificationDeps, integration: InboundIntegrationState, message: SnsMessage, all: KnownIntegration[]): Promise<Answer> {
  const integrationId = integration.id;
  if (message.TopicArn !== integration.inbound.topicArn) {
    deps.metrics.signatureFailures.inc({ reason: 'wrong-topic' });
    throw new Refusal(403, 'WRONG_TOPIC', `topic ${message.TopicArn} is not integration "${integrationId}"'s`);
  }
  const verdict = await guarded("SNS's certificate", () => deps.verify(message));
  if (!verdict.ok) {
    deps.metrics.signatureFailures.inc({ reason: verdict.failure });
    throw new Refusal(403, 'BAD_SIGNATURE', verdict.reason);
  }

  if (message.Type === 'SubscriptionConfirmation') {
    if (!isSnsSubscribeUrl(message.SubscribeURL, message.TopicArn)) throw new Refusal(400, 'BAD_SUBSCRIBE_URL', 'SubscribeURL is not on an SNS host of the topic\'s region');
    await guarded('subscription confirmation', () => deps.confirmSubscription(message.SubscribeURL));
    deps.log.info('subscription confirmed', { integrationId, topicArn: message.TopicArn });
    return { status: 200, body: { confirmed: true } };
  }
  if (message.Type === 'UnsubscribeConfirmation') {
    deps.log.warn('the topic unsubscribed this endpoint: files will arrive only through the sweep until it is subscribed again', { integrationId });
    return { status: 200, body: { unsubscribed: true } };
  }

  const event = s3EventMessageSchema.safeParse(parseJson(message.Message, 'the Message', 'NOT_AN_S3_EVENT'));
  if (!event.success) throw new Refusal(400, 'NOT_AN_S3_EVENT', 'the Message is not an S3 event notification');
  if ('Event' in event.data) return { status: 200, body: { testEvent: true } };

  const outcomes = await Promise.all(event.data.Records.map((r) => takeRecord(deps, integration.id, integration.inbound.region, integration.deletedAt !== undefined, r, all)));
  const count = (o: string) => outcomes.filter((x) => x === o).length;
  return { status: 200, body: { started: count('started'), existing: count('existing'), ignored: count('ignored') } };
}

async function takeRecord(
  deps: NotificationDeps,
  integrationId: string,
  region: string,
  deleted: boolean,
  record: S3EventRecord,
  all: Parameters<typeof routeKey>[3],
): Promise<'started' | 'existing' | 'ignored'> {
  const self = all.find((i) => i.id === integrationId)!;
  const bucket = record.s3.bucket.name;
  let key: string;
  try {
    key = decodeS3EventKey(record.s3.object.key);
  } catch {
    throw new Refusal(400, 'MALFORMED_KEY', 'an object key is not URL-encoded');
  }
  const ignore = (because: string) => {
    deps.counters.add(`ignored_${because}`);
    deps.metrics.keysIgnored.inc({ reason: because });
    deps.log.debug('record ignored', { integrationId, bucket, key, because });
    return 'ignored' as const;
  };
  if (!isObjectCreated(record)) return ignore('not-object-created');
  const route = routeKey({ ...self, deleted }, bucket, key, all);
  if (!route.take) return ignore(route.because);
  const o = record.s3.object;
  const hint: ObjectHint = { versionId: o.versionId, etag: o.eTag, createdAt: eventTimeMs(record), bytes: o.size };
  let file: ResolvedObject;
  try {
    file = await deps.resolveObject(bucket, key, hint, region);
  } catch (err) {
    // Deleted before we looked: nothing to process (the sweep would not find it either).
    if (isS3Error(err, 'NotFound', 'NoSuchKey', '404')) return ignore('object-gone');
    throw new Unavailable('S3', err);
  }
  const { started } = await guarded('Temporal', () => deps.startFile(integrationId, file));
  deps.counters.add(started ? 'files_started' : 'files_existing');
  deps.metrics.files.inc({ result: started ? 'started' : 'existing' });
  deps.log.info(started ? 'file workflow started' : 'file workflow already known (no-op)', { integrationId, bucket, key, version: file.object.version });
  return started ? 'started' : 'existing';
}
