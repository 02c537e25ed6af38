import { useMemo } from 'react';
import { createApiClient, type ApiClient } from './api';
import type { AppConfig } from './config';
import { GatewayStatus } from './GatewayStatus';

interface AppProps {
  readonly config: AppConfig;
  /** The gateway client; made from config when not given (tests may pass their own). */
  readonly api?: ApiClient;
}

export function App({ config, api }: AppProps) {
  const client = useMemo(
    () => api ?? createApiClient({ baseUrl: config.gatewayUrl, apiKey: config.apiKey }),
    [api, config.gatewayUrl, config.apiKey],
  );

  return (
    <div className="layout">
      <header className="header">
        <h1>AgentSystem</h1>
      </header>
      <main className="content">
        <GatewayStatus gatewayUrl={config.gatewayUrl} api={client} />
      </main>
    </div>
  );
}
