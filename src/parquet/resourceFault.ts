/**
 * The one test of "is this failure about this machine, not about the file?", used wherever a
 * file is read, decompressed, validated or staged. A machine fault (out of disk, memory or file
 * handles; a failing disk) must fail the activity so Temporal retries it, elsewhere if need be;
 * only the file's own bytes may produce an INVALID_SCHEMA entry. Guessing wrong one way marks good
 * rows invalid for good (and, on a second worker after some chunks were reported, counts them
 * twice); the other way retries a bad file until someone looks, which is the lesser harm.
 */

/**
 * errno codes of a machine out of a resource or with a failing disk, as Node's fs, streams and
 * child processes raise them; Z_MEM_ERROR is zlib failing to allocate its window.
 */
const MACHINE_CODES = new Set(['ENOSPC', 'EDQUOT', 'ENOMEM', 'EMFILE', 'ENFILE', 'EIO', 'EROFS', 'EFBIG', 'Z_MEM_ERROR']);

/**
 * The same faults as they appear in messages: DuckDB wraps the OS's strerror text ('IO Error:
 * Could not write file "…": No space left on device', 'Cannot open file "…": Too many open
 * files') or reports its own ('Out of Memory Error: …', std::bad_alloc), and tools such as bzip2
 * print strerror text. DuckDB's "Could not write" is always about writing our own scratch files
 * (spill, staging), never about the input. "Out of buffer" (a truncated page) is data: not matched.
 */
const MACHINE_MESSAGES =
  /Out of Memory|bad_alloc|Cannot allocate memory|No space left on device|Disk quota exceeded|Too many open files|Input\/output error|Read-only file system|File too large|allocation failed|could not write|database has been invalidated|FATAL Error|\b(ENOSPC|EDQUOT|ENOMEM|EMFILE|ENFILE|EIO|EROFS)\b/i;

export function isResourceFault(err: unknown): boolean {
  const code = (err as { code?: unknown } | null | undefined)?.code;
  if (typeof code === 'string' && MACHINE_CODES.has(code)) return true;
  return MACHINE_MESSAGES.test(err instanceof Error ? err.message : String(err));
}
