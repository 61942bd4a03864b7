/** What the HTTP services log through. */
export interface ServiceLog {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
}

const LEVELS = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR'] as const;

/** One JSON line per event on stdout, from `level` up: what log collectors ingest as is. */
export function jsonLog(level: (typeof LEVELS)[number], write: (line: string) => void = (l) => process.stdout.write(l)): ServiceLog {
  const min = LEVELS.indexOf(level);
  const at = (lvl: (typeof LEVELS)[number]) => (msg: string, fields: Record<string, unknown> = {}) => {
    if (LEVELS.indexOf(lvl) >= min) write(JSON.stringify({ time: new Date().toISOString(), level: lvl, msg, ...fields }) + '\n');
  };
  return { debug: at('DEBUG'), info: at('INFO'), warn: at('WARN') };
}
