// How the server stops: on SIGTERM (the Dev target, the system tests, a process manager) and on SIGINT (Ctrl+C after
// `npm start`), closing cleanly with a bounded wait; node running as PID 1 would not exit on SIGTERM by itself.
//
// IGNORE_SIGINT=1: the process that started this one ignores SIGINT (the Dev target run in a script's background).
// Its other children inherit that, but node resets ignored signals at start, so it is told instead, and keeps ignoring
// SIGINT with them rather than stopping alone (and being started again by the Dev target).

/**
 * @typedef {object} StopOptions
 * @property {Record<string, string | undefined>} env
 * @property {{ on(signal: NodeJS.Signals, listener: () => void): unknown, exit(code: number): unknown }} proc
 * @property {(line: string) => void} log
 * @property {number} [graceMs]  longest wait for open connections before exiting anyway
 */

/**
 * The signals the server stops on, given its environment.
 * @param {Record<string, string | undefined>} env
 * @returns {NodeJS.Signals[]}
 */
export function stopSignalsFor(env) {
  return env.IGNORE_SIGINT === '1' ? ['SIGTERM'] : ['SIGTERM', 'SIGINT'];
}

/**
 * Makes `proc` close `server` on its stop signals and exit; an ignored SIGINT gets a listener that does nothing, since
 * without one node would end the process.
 * @param {Pick<import('node:http').Server, 'close' | 'closeIdleConnections'>} server
 * @param {StopOptions} options
 * @returns {NodeJS.Signals[]} the signals it stops on
 */
export function stopOnSignals(server, { env, proc, log, graceMs = 5_000 }) {
  const signals = stopSignalsFor(env);
  for (const signal of signals) {
    proc.on(signal, () => {
      log(`frontend: ${signal} received, shutting down`);
      server.close(() => proc.exit(0));
      server.closeIdleConnections();
      setTimeout(() => proc.exit(0), graceMs).unref();
    });
  }
  if (!signals.includes('SIGINT')) {
    proc.on('SIGINT', () => {});
  }
  return signals;
}
