import type { IncomingMessage } from 'node:http';
import { createGunzip } from 'node:zlib';

/** The body is over the limit (after decompression, when it was compressed). */
export class BodyTooLarge extends Error {
  constructor(readonly limit: number) {
    super(`more than ${limit} bytes`);
  }
}

/** The body cannot be decoded: an encoding we do not speak, or a corrupt gzip stream. */
export class BodyUndecodable extends Error {}

/** The process's budget for bodies held at once refused more bytes. */
export class BodyOverBudget extends Error {}

export interface BodyOptions {
  acceptGzip?: boolean;
  /**
   * Charged with each decoded chunk as it arrives; false refuses it (the read fails with
   * BodyOverBudget). What was charged is the caller's to release, whatever the outcome.
   */
  charge?(bytes: number): boolean;
}

/**
 * Reads a request body up to `limit` bytes. `Content-Encoding: gzip` is decoded when
 * `acceptGzip` is set, and the limit then applies to the decoded bytes, so a small compressed
 * body cannot expand without bound. Past the limit the rest is read and dropped, so the 413
 * reaches the client instead of a reset connection.
 */
export function readBody(req: IncomingMessage, limit: number, options: BodyOptions = {}): Promise<Buffer> {
  const { acceptGzip = false, charge } = options;
  const encoding = (req.headers['content-encoding'] ?? 'identity').toLowerCase().trim();
  if (encoding !== 'identity' && !(acceptGzip && encoding === 'gzip')) {
    req.resume();
    return Promise.reject(new BodyUndecodable(`Content-Encoding ${encoding} is not supported${acceptGzip ? '; send identity or gzip' : ''}`));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    const fail = (err: Error) => {
      if (failed) return;
      failed = true;
      chunks.length = 0;
      reject(err);
    };
    const source = encoding === 'gzip' ? req.pipe(createGunzip()) : req;
    // Stop inflating; keep draining the raw request so the answer can be read.
    const drain = () => {
      if (source === req) return;
      req.unpipe();
      source.destroy();
      req.resume();
    };
    source.on('data', (c: Buffer) => {
      if (failed) return;
      size += c.length;
      if (size > limit) {
        fail(new BodyTooLarge(limit));
        drain();
      } else if (charge && !charge(c.length)) {
        fail(new BodyOverBudget('too many bytes held at once'));
        drain();
      } else chunks.push(c);
    });
    source.on('end', () => {
      if (!failed) resolve(Buffer.concat(chunks));
    });
    source.on('error', (err) => {
      fail(source === req ? err : new BodyUndecodable(`the gzip body is corrupt: ${err.message}`));
      drain();
    });
    if (source !== req) req.on('error', fail);
  });
}
