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

/**
 * Reads a request body up to `limit` bytes. `Content-Encoding: gzip` is decoded when
 * `acceptGzip` is set, and the limit then applies to the decoded bytes, so a small compressed
 * body cannot expand without bound. Past the limit the rest is read and dropped, so the 413
 * reaches the client instead of a reset connection.
 */
export function readBody(req: IncomingMessage, limit: number, acceptGzip = false): Promise<Buffer> {
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
    source.on('data', (c: Buffer) => {
      if (failed) return;
      size += c.length;
      if (size <= limit) chunks.push(c);
      else {
        fail(new BodyTooLarge(limit));
        if (source !== req) {
          // Stop inflating; keep draining the raw request so the answer can be read.
          req.unpipe();
          source.destroy();
          req.resume();
        }
      }
    });
    source.on('end', () => {
      if (!failed) resolve(Buffer.concat(chunks));
    });
    source.on('error', (err) => fail(source === req ? err : new BodyUndecodable(`the gzip body is corrupt: ${err.message}`)));
    if (source !== req) req.on('error', fail);
  });
}
