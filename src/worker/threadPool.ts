import { availableParallelism } from 'node:os';
import { defaultThreadPoolSize } from './threadPoolSize';

/**
 * libuv's pool starts on first use, so its size is set before anything can use it: this module
 * is the worker's first import. An operator's UV_THREADPOOL_SIZE wins.
 */
process.env.UV_THREADPOOL_SIZE ??= String(defaultThreadPoolSize(process.env, availableParallelism()));
