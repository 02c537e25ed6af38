// Where the production server listens, from PORT and HOST. The default address is this machine's alone: whoever
// reaches the server uses the API with its API_KEY, so serving others (a container, a LAN) is asked for with HOST.

/** Address the server binds when HOST is not set. */
export const DEFAULT_HOST = '127.0.0.1';

/**
 * Reads PORT (default 3000) and HOST; throws an Error saying what is wrong with PORT.
 * @param {Record<string, string | undefined>} env
 * @returns {{ host: string, port: number }}
 */
export function listenAddressFromEnv(env) {
  const portText = env.PORT?.trim() || '3000';
  const port = Number(portText);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`PORT must be an integer between 0 and 65535, got "${portText}"`);
  }
  return { host: env.HOST?.trim() || DEFAULT_HOST, port };
}
