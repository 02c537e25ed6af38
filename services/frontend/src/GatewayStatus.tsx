import { useCallback, useEffect, useRef, useState, type RefObject } from 'react';
import { ApiError, describeError, isUnreachable, type ApiClient } from './api';

export type GatewayState =
  | { readonly kind: 'checking' }
  | { readonly kind: 'healthy' }
  | {
      /** Unreachable: no answer from the gateway. Unavailable: a 503 answered for it (it, or a proxy in front of it, cannot serve now). */
      readonly kind: 'unreachable' | 'unavailable';
      readonly reason: string;
      /** No answer at all in time: something holds the request, so the gateway is not simply down. */
      readonly silent?: boolean;
      /** The reason is the frontend server's, which asks what to check itself: the banner does not ask again. */
      readonly advised?: boolean;
      /** "Check again" was pressed and that check runs: the banner stays, saying what the last one found. */
      readonly rechecking?: boolean;
    };

/**
 * How long a health check may take before the gateway counts as unreachable: longer than the frontend server tries to
 * connect to it (5 s, node's and nginx's alike; a test holds them apart), so the server's "could not reach the gateway"
 * is what the banner says of a host that never accepts, not its own vaguer "no answer".
 */
export const HEALTH_TIMEOUT_MS = 7_000;
/** While unreachable, the check repeats this often (while the page is visible), so the banner goes when it is back. */
export const RECHECK_INTERVAL_MS = 10_000;
/**
 * While healthy, this often: a gateway that hangs (stopped, its host frozen) fails no call for a minute, and the header
 * said "healthy" all along (helper-136). A call that fails with no answer or a 502 to 504 checks at once.
 */
export const HEALTHY_RECHECK_INTERVAL_MS = 30_000;
/** Calls failing together ask for one check: none while one runs, and none within this long of the last one's start. */
export const TROUBLE_CHECK_SPACING_MS = 5_000;

/** The full stop after a reason, unless it has its own: a detail that ends with one read "..". */
function stopAfter(reason: string): string {
  return /[.!?]$/.test(reason) ? '' : '.';
}

/** The banner's state after a check that failed with `error`. */
function failed(error: unknown): GatewayState {
  // It answered: "unreachable", and the advice to start it, were not true (helper-141).
  if (error instanceof ApiError && error.status === 503) return { kind: 'unavailable', reason: describeError(error) };
  // The frontend server's 502 or 504 (naming no service) says in its detail what failed and asks what to check: that
  // alone, where its title, its detail and the banner's own advice said the same two or three times.
  const detail = error instanceof ApiError && isUnreachable(error) ? error.problem?.detail : undefined;
  if (detail) return { kind: 'unreachable', reason: detail, advised: true };
  return { kind: 'unreachable', reason: describeError(error) };
}

interface GatewayStatusProps {
  readonly api: ApiClient;
  /** Takes the focus when the banner goes (the gateway is back) while it held it, which would fall to the page. */
  readonly focusAfterBanner?: RefObject<HTMLElement | null>;
}

/**
 * Whether the gateway answers (GET /api/info through the page's server) as a small indicator in the header, and a
 * banner under it while it does not (or answers 503), so an unreachable gateway reads as such instead of as an empty page.
 */
export function GatewayStatus({ api, focusAfterBanner }: GatewayStatusProps) {
  const [state, setState] = useState<GatewayState>({ kind: 'checking' });
  const [attempt, setAttempt] = useState(0);
  const lastCheckStart = useRef(Number.NEGATIVE_INFINITY);
  const checking = useRef(false);
  const banner = useRef<HTMLDivElement>(null);
  const refocus = useRef(false);

  useEffect(() => {
    // One controller per check: aborted on timeout, on "Check again" and on unmount, so a late answer never
    // overwrites a newer state.
    const controller = new AbortController();
    checking.current = true;
    lastCheckStart.current = Date.now();
    const done = () => {
      checking.current = false;
    };
    const timer = setTimeout(() => {
      done();
      controller.abort();
      setState({ kind: 'unreachable', reason: `No answer within ${HEALTH_TIMEOUT_MS / 1000} s`, silent: true });
    }, HEALTH_TIMEOUT_MS);
    // No reset to "checking" here: a background re-check keeps the banner up until the gateway answers.
    api.info(controller.signal).then(
      () => {
        if (controller.signal.aborted) return;
        clearTimeout(timer);
        done();
        refocus.current = banner.current?.contains(document.activeElement) === true;
        setState({ kind: 'healthy' });
      },
      (error: unknown) => {
        if (controller.signal.aborted) return;
        clearTimeout(timer);
        done();
        setState(failed(error));
      },
    );
    return () => {
      clearTimeout(timer);
      done();
      controller.abort();
    };
  }, [api, attempt]);

  // Background re-checks, more often while unreachable; skipped while the tab is hidden.
  useEffect(() => {
    if (state.kind === 'checking') return;
    const timer = setInterval(
      () => {
        if (document.visibilityState !== 'hidden') setAttempt((n) => n + 1);
      },
      state.kind === 'healthy' ? HEALTHY_RECHECK_INTERVAL_MS : RECHECK_INTERVAL_MS,
    );
    return () => clearInterval(timer);
  }, [state.kind]);

  // Another call's trouble: is it the gateway? (A service behind it may be down while it answers.)
  useEffect(() => {
    if (state.kind !== 'healthy') return;
    return api.onTrouble(() => {
      if (!checking.current && Date.now() - lastCheckStart.current >= TROUBLE_CHECK_SPACING_MS) setAttempt((n) => n + 1);
    });
  }, [api, state.kind]);

  // The focus the banner held goes to the page, not to the header's status: a live region, it says "healthy" by itself,
  // and the focus on it would say it again.
  useEffect(() => {
    if (state.kind !== 'healthy' || !refocus.current) return;
    refocus.current = false;
    focusAfterBanner?.current?.focus();
  }, [state.kind, focusAfterBanner]);

  // The banner stays while its button's check runs: taking it away read as recovered, and dropped the focus to the page.
  const recheck = useCallback(() => {
    setState((current) => (current.kind === 'unreachable' || current.kind === 'unavailable' ? { ...current, rechecking: true } : current));
    setAttempt((n) => n + 1);
  }, []);

  const troubled = state.kind === 'unreachable' || state.kind === 'unavailable';
  return (
    <>
      <span role="status" className={`gateway-pill status-${state.kind}`} data-testid="gateway-status" data-state={state.kind}>
        {state.kind === 'checking' && 'gateway: checking…'}
        {state.kind === 'healthy' && 'gateway: healthy'}
        {state.kind === 'unreachable' && 'gateway: unreachable'}
        {state.kind === 'unavailable' && 'gateway: unavailable'}
      </span>
      {troubled && (
        <div className="banner" role="alert" data-testid="gateway-unreachable" ref={banner}>
          <div>
            {state.kind === 'unavailable' ? (
              <>
                <strong>The gateway is unavailable.</strong> <span className="reason">{state.reason}</span>
                {stopAfter(state.reason)} Something
                answered for it that cannot serve now: the gateway starting or stopping, or a proxy in front of it with no
                gateway ready; if this lasts, see their logs.{' '}
              </>
            ) : (
              <>
                <strong>The gateway is unreachable.</strong>{' '}
                <span className="reason">{state.reason}</span>
                {state.advised ? '' : stopAfter(state.reason)}{' '}
                {state.silent &&
                  // It was not refused: starting the system, as below, is not the answer to a gateway that is up but hangs.
                  'Something takes the request and does not answer: the gateway or its host may be paused or overloaded. '}
                {!state.silent && !state.advised && (
                  <>
                    Start the system (see the README), or check <code>GATEWAY_URL</code> where the frontend server runs.{' '}
                  </>
                )}
              </>
            )}
            The page checks again every {RECHECK_INTERVAL_MS / 1000} s.
          </div>
          <button type="button" className="secondary" onClick={recheck} aria-busy={state.rechecking === true}>
            {state.rechecking ? 'Checking…' : 'Check again'}
          </button>
        </div>
      )}
    </>
  );
}
