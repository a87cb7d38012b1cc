// The logger every layer receives by injection. Off by default (nullLogger):
// no module keeps a global logger.

export interface Logger {
  debug(msg: string): void;
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
}

export const nullLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
};

/** A logger that writes to stderr, each line prefixed with the level. */
export function stderrLogger(opts: { debug: boolean }): Logger {
  const write = (level: string) => (msg: string) => process.stderr.write(`humbridge ${level}: ${msg}\n`);
  return {
    debug: opts.debug ? write('debug') : () => {},
    info: write('info'),
    warn: write('warn'),
    error: write('error'),
  };
}
