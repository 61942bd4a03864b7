import { runCli } from '../cli/main';
import { postToIntake, sdkBulkBody, sdkHeaders } from './sdkImpressions';

export const DEMO_SDK_HEADERS = { sdkVersion: 'nodejs-11.11.2', machineName: 'demo-host', machineIp: '127.0.0.1', mode: 'DEBUG' };

export interface DemoImpressions {
  sdkKey: string;
  keyId: string;
  stored: number;
  batch: string;
  /** The batch's reception time (its key starts with it). */
  receivedAt: number;
}

/**
 * The outbound half's first step as an SDK owner takes it: an SDK key from the CLI, then one
 * post in the SDK's own format (3 flags, 100 impressions each) to the intake.
 */
export async function postDemoImpressions(intakeUrl: string, environmentId: string): Promise<DemoImpressions> {
  let out = '';
  let err = '';
  const code = await runCli(['intake', 'key', 'add', '--environment', environmentId, '--traffic-type', 'user', '--label', 'npm start demo', '--json'], {
    out: (t) => void (out += t),
    err: (t) => void (err += t),
  });
  if (code !== 0) throw new Error(`intake key add failed (${code}): ${err}`);
  const { key, id } = JSON.parse(out) as { key: string; id: string };
  const res = await postToIntake(`${intakeUrl}/api/testImpressions/bulk`, sdkHeaders(key, DEMO_SDK_HEADERS), sdkBulkBody(3, 100, Date.now()));
  if (res.status !== 200) throw new Error(`the intake answered ${res.status}: ${JSON.stringify(res.body)}`);
  const batch = String(res.body.batch);
  return { sdkKey: key, keyId: id, stored: Number(res.body.stored), batch, receivedAt: Number(batch.split('/').pop()!.split('-')[0]) };
}

/** A curl line that posts one impression as an SDK does. */
export function curlExample(intakeUrl: string, sdkKey: string): string {
  // The time is the shell's, so each run of the line is a new impression (the same one again would be a repeat the export drops).
  const body = `[{"f":"demo_flag","i":[{"k":"user-1","t":"on","r":"default rule","c":1,"m":'"$(($(date +%s)*1000))"'}]}]`;
  return `curl -sS ${intakeUrl}/api/testImpressions/bulk -H 'Authorization: Bearer ${sdkKey}' -H 'SplitSDKVersion: nodejs-11.11.2' -H 'Content-Type: application/json' -d '${body}'`;
}
