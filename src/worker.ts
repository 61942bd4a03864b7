import './worker/threadPool';
import { ConfigError, loadSettings } from './config/settings';
import { SearchAttributesMissing } from './client';
import { createWorkerProcess } from './worker/workerProcess';
import { installWorkerRuntime } from './worker/runtimeLogger';

async function main(): Promise<void> {
  const settings = loadSettings();
  installWorkerRuntime(settings.LOG_LEVEL, settings.WORKER_METRICS_ADDRESS);
  const worker = await createWorkerProcess(settings);
  console.log(`worker ready: task queue ${settings.TASK_QUEUE}, own queue ${worker.workerTaskQueue}`);
  await worker.run();
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err instanceof ConfigError || err instanceof SearchAttributesMissing ? err.message : err);
    process.exit(1);
  });
}
