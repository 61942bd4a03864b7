/** The impression intake's entry point: `npm run intake` (`node lib/src/intake/main.js`). */
import { ConfigError, loadSettings } from '../config/settings';
import { startIntakeProcess } from './intakeProcess';

async function main(): Promise<void> {
  const settings = loadSettings();
  const intake = await startIntakeProcess(settings);
  const base = `${settings.TLS_CERT_FILE ? 'https' : 'http'}://${settings.HTTP_HOST}:${intake.port}`;
  console.log(`impression intake listening on ${base}; point the SDKs' events URL (urls.events) at <this service's public URL>/api`);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      // Finish the batches in flight: each answers only once it is stored.
      void intake.close().then(() => process.exit(0));
    });
  }
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err instanceof ConfigError ? err.message : err);
    process.exit(1);
  });
}
