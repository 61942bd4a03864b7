/** Reading and appending file bytes for the transcoder. */
import type { FileHandle } from 'node:fs/promises';
import { notParquet } from './errors';

export async function readExactly(file: FileHandle, position: number, length: number, path: string): Promise<Buffer> {
  const buffer = Buffer.alloc(length);
  let filled = 0;
  while (filled < length) {
    const { bytesRead } = await file.read(buffer, filled, length - filled, position + filled);
    if (bytesRead === 0) {
      throw notParquet(path, `unexpected end of file reading ${length} bytes at offset ${position}`);
    }
    filled += bytesRead;
  }
  return buffer;
}

/** Appends to a file handle and tracks the write position. */
export class AppendOnlyFile {
  position = 0;

  constructor(private readonly file: FileHandle) {}

  async append(data: Buffer): Promise<void> {
    let written = 0;
    while (written < data.length) {
      const { bytesWritten } = await this.file.write(data, written, data.length - written, this.position);
      written += bytesWritten;
      this.position += bytesWritten;
    }
  }
}
