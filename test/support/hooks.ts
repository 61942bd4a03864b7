import { Runtime, DefaultLogger } from '@temporalio/worker';
import { stopLocalTemporal } from './temporal';
import { stopSharedMoto } from './harness';

Runtime.install({ logger: new DefaultLogger('ERROR') });

export const mochaHooks = {
  async afterAll(this: Mocha.Context) {
    this.timeout(60_000);
    await stopSharedMoto();
    await stopLocalTemporal();
  },
};
