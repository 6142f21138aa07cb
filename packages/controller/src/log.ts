// Structured logs through winston: JSON lines by default (containers, journald), readable text on a TTY.
import winston from 'winston';

export type Logger = winston.Logger;
export const LOG_LEVELS = ['error', 'warn', 'info', 'debug'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface LoggerOptions {
  level?: LogLevel;
  /** 'json' or 'text'; default: text on a TTY, JSON otherwise. */
  format?: 'json' | 'text';
  /** Where lines go; default stderr (stdout stays free for command output). */
  stream?: NodeJS.WritableStream;
}

const text = winston.format.printf(({ level, message, timestamp, ...meta }) => {
  const fields = Object.entries(meta)
    .filter(([k]) => typeof k === 'string')
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ');
  return `${timestamp} ${level} ${message}${fields ? ` ${fields}` : ''}`;
});

export function createLogger(opts: LoggerOptions = {}): Logger {
  const stream = opts.stream ?? process.stderr;
  const tty = (stream as { isTTY?: boolean }).isTTY === true;
  const format = opts.format ?? (tty ? 'text' : 'json');
  return winston.createLogger({
    level: opts.level ?? 'info',
    format:
      format === 'json'
        ? winston.format.combine(
            winston.format.timestamp(),
            winston.format.errors({ stack: false }),
            winston.format.json(),
          )
        : winston.format.combine(
            winston.format.timestamp({ format: 'HH:mm:ss.SSS' }),
            ...(tty ? [winston.format.colorize()] : []),
            text,
          ),
    transports: [new winston.transports.Stream({ stream })],
  });
}

/** A logger that drops everything (tests). */
export function silentLogger(): Logger {
  return winston.createLogger({ silent: true, transports: [new winston.transports.Console({ silent: true })] });
}
