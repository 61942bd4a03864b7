import type { S3Client } from '@aws-sdk/client-s3';

/** A command as the client was asked to send it: its class name and input. */
export interface SentCommand {
  name: string;
  input: Record<string, unknown>;
}

/**
 * An S3 client that records every command sent through it and can make one fail before it
 * reaches S3 (a crash or a refused PUT at that point): `failWhen` sees each command with the
 * ones sent before it. Everything else is the real client.
 */
export function spyOn(client: S3Client, failWhen: (cmd: SentCommand, sent: readonly SentCommand[]) => boolean = () => false): { client: S3Client; sent: SentCommand[] } {
  const sent: SentCommand[] = [];
  const proxy = new Proxy(client, {
    get(target, prop, receiver) {
      if (prop !== 'send') return Reflect.get(target, prop, receiver) as unknown;
      return (command: { constructor: { name: string }; input: Record<string, unknown> }, options?: unknown) => {
        const cmd = { name: command.constructor.name, input: command.input };
        const fail = failWhen(cmd, sent);
        sent.push(cmd);
        if (fail) return Promise.reject(new Error(`injected failure of ${cmd.name} ${String(cmd.input.Key ?? '')}`));
        return (target.send as (c: unknown, o?: unknown) => Promise<unknown>)(command, options);
      };
    },
  });
  return { client: proxy, sent };
}
