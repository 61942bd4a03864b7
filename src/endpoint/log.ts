import type { EndpointLog } from './notificationHandler';

const LEVELS = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR'] as const;

/** One JSON line per event on stdout, from `level` up: what log collectors ingest as is. */
export function jsonLog(level: (typeof LEVELS)[number], write: (line: string) => void = (l) => process.stdout.write(l)): EndpointLog {
  const min = LEVELS.indexOf(level);
  const at = (lvl: (typeof LEVELS)[number]) => (msg: string, fields: Record<string, unknown> = {}) => {
    if (LEVELS.indexOf(lvl) >= min) write(JSON.stringify({ time: new Date().toISOString(), level: lvl, msg, ...fields }) + '\n');
  };
  return { debug: at('DEBUG'), info: at('INFO'), warn: at('WARN') };
}
