// The app's run-time configuration. server.mjs (and the vite dev server) serve /config.js, which index.html loads
// before the app and which sets window.__AGENTSYSTEM_CONFIG__ from the environment. Nothing here is baked into the
// bundle, so one image runs against any gateway. This module is the only place that reads that global.

export interface AppConfig {
  /** Base URL of the gateway, without a trailing slash. */
  readonly gatewayUrl: string;
  /** Sent as X-Api-Key on API calls; empty when the gateway needs none. */
  readonly apiKey: string;
}

export const DEFAULT_CONFIG: AppConfig = Object.freeze({
  gatewayUrl: 'http://localhost:8080',
  apiKey: '',
});

declare global {
  interface Window {
    __AGENTSYSTEM_CONFIG__?: unknown;
  }
}

function nonEmptyString(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const trimmed = value.trim();
  return trimmed === '' ? undefined : trimmed;
}

/**
 * Validates a raw configuration object and fills in defaults for anything missing or of the wrong type, so a broken
 * or absent /config.js degrades to the defaults instead of crashing the app.
 */
export function parseConfig(raw: unknown): AppConfig {
  const source = typeof raw === 'object' && raw !== null ? (raw as Record<string, unknown>) : {};
  const gatewayUrl = nonEmptyString(source.gatewayUrl) ?? DEFAULT_CONFIG.gatewayUrl;
  return {
    gatewayUrl: gatewayUrl.replace(/\/+$/, ''),
    apiKey: nonEmptyString(source.apiKey) ?? DEFAULT_CONFIG.apiKey,
  };
}

/** Reads the configuration /config.js put on window (defaults outside a browser or when it is absent). */
export function loadConfig(): AppConfig {
  return parseConfig(typeof window === 'undefined' ? undefined : window.__AGENTSYSTEM_CONFIG__);
}
