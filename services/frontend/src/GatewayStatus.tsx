import { useCallback, useEffect, useState } from 'react';
import type { ApiClient } from './api';

export type GatewayState =
  | { readonly kind: 'checking' }
  | { readonly kind: 'healthy' }
  | { readonly kind: 'unreachable'; readonly reason: string };

/** How long a health check may take before the gateway counts as unreachable. */
export const HEALTH_TIMEOUT_MS = 5_000;

interface GatewayStatusProps {
  readonly gatewayUrl: string;
  readonly api: ApiClient;
}

/** Shows the configured gateway and whether its /healthz answers. */
export function GatewayStatus({ gatewayUrl, api }: GatewayStatusProps) {
  const [state, setState] = useState<GatewayState>({ kind: 'checking' });
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    // One controller per check: aborted on timeout, on "Check again" and on unmount, so a late answer never
    // overwrites a newer state.
    const controller = new AbortController();
    const timer = setTimeout(() => {
      controller.abort();
      setState({ kind: 'unreachable', reason: `no answer within ${HEALTH_TIMEOUT_MS / 1000} s` });
    }, HEALTH_TIMEOUT_MS);
    setState({ kind: 'checking' });
    api.health(controller.signal).then(
      () => {
        if (controller.signal.aborted) return;
        clearTimeout(timer);
        setState({ kind: 'healthy' });
      },
      (error: unknown) => {
        if (controller.signal.aborted) return;
        clearTimeout(timer);
        setState({ kind: 'unreachable', reason: error instanceof Error ? error.message : String(error) });
      },
    );
    return () => {
      clearTimeout(timer);
      controller.abort();
    };
  }, [api, attempt]);

  const recheck = useCallback(() => setAttempt((n) => n + 1), []);

  return (
    <section className="card" aria-labelledby="gateway-heading">
      <h2 id="gateway-heading">Gateway</h2>
      <dl>
        <dt>Address</dt>
        <dd>
          <code data-testid="gateway-url">{gatewayUrl}</code>
        </dd>
        <dt>Status</dt>
        <dd>
          <span role="status" className={`status status-${state.kind}`}>
            {state.kind === 'checking' && 'gateway: checking…'}
            {state.kind === 'healthy' && 'gateway: healthy'}
            {state.kind === 'unreachable' && 'gateway: unreachable'}
          </span>
          {state.kind === 'unreachable' && <p className="reason">{state.reason}</p>}
        </dd>
      </dl>
      <button type="button" onClick={recheck} disabled={state.kind === 'checking'}>
        Check again
      </button>
    </section>
  );
}
