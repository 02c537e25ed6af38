import { EventEmitter } from 'node:events';
import { describe, expect, it, vi } from 'vitest';
import { stopOnSignals } from './stopSignals.mjs';

function fakes(env: Record<string, string>) {
  const proc = Object.assign(new EventEmitter(), { exit: vi.fn() });
  const server = { close: vi.fn((done?: () => void) => done?.()), closeIdleConnections: vi.fn() };
  const log = vi.fn();
  const signals = stopOnSignals(server as never, { env, proc, log, graceMs: 10 });
  return { proc, server, log, signals };
}

describe('stopOnSignals', () => {
  it.each(['SIGTERM', 'SIGINT'])('closes the server and exits 0 on %s', (signal) => {
    const { proc, server, log } = fakes({});

    proc.emit(signal);

    expect(server.close).toHaveBeenCalledOnce();
    expect(server.closeIdleConnections).toHaveBeenCalledOnce();
    expect(proc.exit).toHaveBeenCalledWith(0);
    expect(log).toHaveBeenCalledWith(`frontend: ${signal} received, shutting down`);
  });

  it('with IGNORE_SIGINT=1 keeps running on SIGINT, yet stops on SIGTERM', () => {
    const { proc, server, signals } = fakes({ IGNORE_SIGINT: '1' });

    expect(signals).toEqual(['SIGTERM']);
    expect(proc.listenerCount('SIGINT')).toBe(1); // a listener, or node would end the process
    proc.emit('SIGINT');
    expect(server.close).not.toHaveBeenCalled();
    expect(proc.exit).not.toHaveBeenCalled();

    proc.emit('SIGTERM');
    expect(server.close).toHaveBeenCalledOnce();
    expect(proc.exit).toHaveBeenCalledWith(0);
  });
});
