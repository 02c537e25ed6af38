// @vitest-environment jsdom
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, loadConfig, parseConfig } from './config';

describe('parseConfig', () => {
  it('takes gatewayUrl and apiKey from the object', () => {
    expect(parseConfig({ gatewayUrl: 'https://gw.example:8443', apiKey: 'k-123' })).toEqual({
      gatewayUrl: 'https://gw.example:8443',
      apiKey: 'k-123',
    });
  });

  it.each([undefined, null, 'text', 42, []])('falls back to the defaults for %j', (raw) => {
    expect(parseConfig(raw)).toEqual(DEFAULT_CONFIG);
  });

  it('uses the default for missing, empty or wrongly typed fields', () => {
    expect(parseConfig({ gatewayUrl: '   ', apiKey: 7 })).toEqual(DEFAULT_CONFIG);
    expect(parseConfig({ apiKey: 'k' })).toEqual({ gatewayUrl: DEFAULT_CONFIG.gatewayUrl, apiKey: 'k' });
  });

  it('trims whitespace and trailing slashes from the gateway URL', () => {
    expect(parseConfig({ gatewayUrl: ' http://gw:8080/// ' }).gatewayUrl).toBe('http://gw:8080');
  });
});

describe('loadConfig', () => {
  afterEach(() => {
    delete window.__AGENTSYSTEM_CONFIG__;
  });

  it('reads window.__AGENTSYSTEM_CONFIG__', () => {
    window.__AGENTSYSTEM_CONFIG__ = { gatewayUrl: 'http://gateway:8080', apiKey: 'secret' };
    expect(loadConfig()).toEqual({ gatewayUrl: 'http://gateway:8080', apiKey: 'secret' });
  });

  it('returns the defaults when /config.js did not load', () => {
    expect(loadConfig()).toEqual(DEFAULT_CONFIG);
  });
});
