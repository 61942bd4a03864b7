/** The notification endpoint's entry point: `npm run endpoint` (`node lib/src/endpoint/main.js`). */
import { ConfigError, loadSettings } from '../config/settings';
import { startEndpointProcess } from './endpointProcess';
import { SearchAttributesMissing } from '../client';

async function main(): Promise<void> {
  const settings = loadSettings();
  const endpoint = await startEndpointProcess(settings);
  console.log(
    `notification endpoint listening on ${settings.TLS_CERT_FILE ? 'https' : 'http'}://${settings.HTTP_HOST}:${endpoint.port}; ` +
      `integrations subscribe ${settings.PUBLIC_BASE_URL.replace(/\/+$/, '')}/v1/integrations/<id>/notifications`,
  );
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      // Finish the requests in flight: each answers only once its starts are durable.
      void endpoint.close().then(() => process.exit(0));
    });
  }
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err instanceof ConfigError || err instanceof SearchAttributesMissing ? err.message : err);
    process.exit(1);
  });
}
