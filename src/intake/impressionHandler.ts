import type { z } from 'zod';
import { describeBodyIssue, SdkHeaderError, sdkBulkBodySchema, sdkCountBodySchema, sdkIdentity, type SdkIdentity } from '../domain/impressions/sdkProtocol';
import type { IntakeKind } from '../domain/impressions/intakeKeys';
import type { ServiceLog } from '../http/jsonLog';
import type { JsonAnswer } from '../http/answers';
import { BodyRefused, type BatchStore } from './batchStore';
import type { SdkKeyCache } from './sdkKeyCache';

export type Answer = JsonAnswer;

export type IntakeRoute = 'bulk' | 'count';

export interface ImpressionDeps {
  keys: Pick<SdkKeyCache, 'authenticate'>;
  store: Pick<BatchStore, 'store'>;
  log: ServiceLog;
  /** From the body's arrival to the latest answer (INTAKE_ANSWER_DEADLINE). */
  deadlineMs: number;
  /** Called once per stored batch. */
  stored?(route: IntakeRoute, rows: number, identity: SdkIdentity): void;
}

export interface ImpressionRequest {
  route: IntakeRoute;
  /** Lower-case header names. */
  headers: Record<string, string | undefined>;
  body: Buffer;
  /** When the body was complete: every impression of the batch is stamped with it. */
  receivedAt: number;
}

const refuse = (status: number, error: string, detail: string): Answer => ({ status, body: { error, detail } });

const ROUTES: Record<IntakeRoute, { kind: IntakeKind; schema: z.ZodType; count(body: never): number }> = {
  bulk: { kind: 'batches', schema: sdkBulkBodySchema, count: (b: z.infer<typeof sdkBulkBodySchema>) => b.reduce((n, flag) => n + flag.i.length, 0) },
  count: { kind: 'counts', schema: sdkCountBodySchema, count: (b: z.infer<typeof sdkCountBodySchema>) => b.pf.length },
};

function bearerKey(header: string | undefined): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return match?.[1];
}

/**
 * One SDK post: the key, the SDK's headers and the body are checked before anything is stored
 * (a refused request stores nothing); an accepted one is answered 200 only once its Parquet file
 * is in the warehouse, and within the deadline either way.
 */
export async function handleImpressions(deps: ImpressionDeps, req: ImpressionRequest): Promise<Answer> {
  const deadlineAt = req.receivedAt + deps.deadlineMs;
  const key = bearerKey(req.headers.authorization);
  if (!key) return refuse(401, 'SDK_KEY_MISSING', 'send the SDK key as Authorization: Bearer <key>');
  let auth;
  try {
    // A key store that hangs must not hold the answer past the deadline either.
    auth = await beforeDeadline(deps.keys.authenticate(key), deadlineAt);
  } catch (err) {
    deps.log.warn('intake: SDK key store unreadable', { error: String(err) });
    return unavailable('KEY_STORE_UNAVAILABLE', 'the SDK keys could not be read; send the batch again');
  }
  if (auth === LATE) return unavailable('KEY_STORE_UNAVAILABLE', `the SDK keys could not be read within ${deps.deadlineMs} ms; send the batch again`);
  if (!auth.ok) {
    return auth.reason === 'revoked'
      ? refuse(401, 'SDK_KEY_REVOKED', 'this SDK key was revoked; `intake key add` registers a new one')
      : refuse(401, 'SDK_KEY_UNKNOWN', 'no such SDK key; `intake key add` registers one');
  }
  let identity: SdkIdentity;
  try {
    identity = sdkIdentity(req.headers);
  } catch (err) {
    if (err instanceof SdkHeaderError) return refuse(400, 'SDK_HEADER_INVALID', err.message);
    throw err;
  }
  const route = ROUTES[req.route];
  // DuckDB reads the text that was checked, so invalid UTF-8 is replaced alike on both sides.
  const text = req.body.toString('utf8');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return refuse(400, 'BODY_NOT_JSON', `the body is not JSON: ${(err as Error).message}`);
  }
  const parsed = route.schema.safeParse(json);
  if (!parsed.success) return refuse(400, 'BODY_INVALID', describeBodyIssue(parsed.error));
  const items = route.count(parsed.data as never);
  if (items === 0) return { status: 200, body: { stored: 0 } };

  const { record } = auth;
  const abort = new AbortController();
  const storing = deps.store.store(
    route.kind,
    Buffer.from(text, 'utf8'),
    {
      receptionMs: req.receivedAt,
      identity,
      sdkKeyId: record.id,
      environmentId: record.environmentId,
      trafficTypeId: record.trafficTypeId,
      flagTrafficTypes: record.flagTrafficTypes,
    },
    abort.signal,
  );
  const context = { route: req.route, items, sdkKeyId: record.id };
  try {
    const outcome = await beforeDeadline(storing, deadlineAt);
    if (outcome === LATE) {
      abort.abort();
      // A write that lands anyway is a duplicate the export removes (the SDK sends the batch again).
      storing.catch(() => undefined);
      deps.log.warn('intake: batch not durable in time', { ...context, deadlineMs: deps.deadlineMs });
      return unavailable('NOT_DURABLE_IN_TIME', `the batch was not stored within ${deps.deadlineMs} ms; send it again`);
    }
    if (outcome.rows !== items) {
      // The check and the conversion disagree: a bug, and the stored file must not be taken as the batch.
      deps.log.warn('intake: stored rows differ from the checked body', { ...context, rows: outcome.rows, key: outcome.key });
      return { status: 500, body: { error: 'INTERNAL', detail: `checked ${items} items but stored ${outcome.rows}; see the service log` } };
    }
    deps.stored?.(req.route, outcome.rows, identity);
    deps.log.debug('intake: batch stored', { ...context, key: outcome.key, rows: outcome.rows, bytes: outcome.bytes });
    return { status: 200, body: { stored: outcome.rows, batch: outcome.key } };
  } catch (err: unknown) {
    if (err instanceof BodyRefused) return refuse(400, 'BODY_INVALID', err.message);
    deps.log.warn('intake: batch not stored', { ...context, error: String(err) });
    return unavailable('STORE_FAILED', 'the batch could not be stored; send it again');
  }
}

const LATE = Symbol('late');

/** The promise's value, or LATE once the deadline has passed (the promise runs on). */
async function beforeDeadline<T>(p: Promise<T>, deadlineAt: number): Promise<T | typeof LATE> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<typeof LATE>((resolve) => {
    timer = setTimeout(() => resolve(LATE), Math.max(0, deadlineAt - Date.now()));
  });
  try {
    return await Promise.race([p, late]);
  } finally {
    clearTimeout(timer);
  }
}

const unavailable = (error: string, detail: string): Answer => ({ ...refuse(503, error, detail), headers: { 'retry-after': '5' } });
