import { describe, expect, it } from 'vitest';
import { listenAddressFromEnv } from './listenAddress.mjs';

describe('listenAddressFromEnv', () => {
  it('listens on this machine only unless HOST says otherwise (helper-125: it served the key to the network)', () => {
    expect(listenAddressFromEnv({})).toEqual({ host: '127.0.0.1', port: 3000 });
    expect(listenAddressFromEnv({ HOST: ' 0.0.0.0 ', PORT: '8081' })).toEqual({ host: '0.0.0.0', port: 8081 });
  });

  it.each(['-1', '65536', '3000.5', 'http'])('refuses PORT=%s', (port) => {
    expect(() => listenAddressFromEnv({ PORT: port })).toThrow(`PORT must be an integer between 0 and 65535, got "${port}"`);
  });
});
