import { userInfo } from 'node:os';

/** Who asked, for the audit record of an integration change: the OS user running the CLI. */
export function actor(): string {
  try {
    return `cli:${userInfo().username}`;
  } catch {
    return 'cli';
  }
}
