import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { SETTING_NAMES } from '../src/config/settings';
import { PROJECT_ROOT } from './support/paths';

interface Service {
  image?: string;
  build?: unknown;
  command?: string[];
  environment?: Record<string, string>;
  depends_on?: Record<string, { condition: string }> | string[];
  ports?: string[];
  profiles?: string[];
}

/**
 * No Docker engine runs here, so the compose file is checked as data: what `docker compose up`
 * would start, with which settings, and that every reference inside it resolves.
 */
describe('docker-compose.yml (checked as YAML; no compose engine here)', () => {
  const compose = parse(readFileSync(join(PROJECT_ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
    services: Record<string, Service>;
    volumes: Record<string, unknown>;
    'x-fme-env': Record<string, string>;
  };
  const services = compose.services;

  it('runs Temporal on PostgreSQL, its UI, an S3-compatible store, the workers, the notification endpoint and the impression intake, none behind a profile', () => {
    assert.deepEqual(Object.keys(services).sort(), ['endpoint', 'intake', 'minio', 'minio-setup', 'postgresql', 'temporal', 'temporal-ui', 'worker']);
    for (const [name, s] of Object.entries(services)) assert.equal(s.profiles, undefined, `${name} starts with a plain docker compose up`);
  });

  it('pins every image to a version, and builds ours from this checkout', () => {
    for (const [name, s] of Object.entries(services)) {
      assert.ok(s.image, `${name} has an image`);
      assert.doesNotMatch(s.image!, /:latest$|^[^:]+$/, `${name}: ${s.image} is pinned`);
    }
    assert.ok(services.worker!.build && services.endpoint!.build && services.intake!.build, 'worker, endpoint and intake build the image');
  });

  it("runs the worker with the image's default command, the endpoint and the intake with their entry points, files the build makes", () => {
    assert.equal(services.worker!.command, undefined);
    assert.deepEqual(services.endpoint!.command, ['node', 'lib/src/endpoint/main.js']);
    assert.deepEqual(services.intake!.command, ['node', 'lib/src/intake/main.js']);
    assert.ok(existsSync(join(PROJECT_ROOT, 'src', 'endpoint', 'main.ts')));
    assert.ok(existsSync(join(PROJECT_ROOT, 'src', 'intake', 'main.ts')));
    assert.match(readFileSync(join(PROJECT_ROOT, 'Dockerfile'), 'utf8'), /CMD \["node", "lib\/src\/worker\.js"\]/);
  });

  it('gives worker, endpoint and intake the same settings, each one a setting the processes read, and every setting but the local-only ones', () => {
    const env = services.worker!.environment!;
    assert.deepEqual(services.endpoint!.environment, env);
    assert.deepEqual(services.intake!.environment, env);
    const known = new Set<string>([...SETTING_NAMES, 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY']);
    for (const name of Object.keys(env)) assert.ok(known.has(name), `${name} is a setting`);
    // TLS is terminated in front of the service; SNS_CERTIFICATE_ENDPOINT is for local SNS peers only.
    const notInCompose = new Set(['TLS_CERT_FILE', 'TLS_KEY_FILE', 'SNS_CERTIFICATE_ENDPOINT', 'HTTP_HOST']);
    const missing = SETTING_NAMES.filter((n) => !notInCompose.has(n) && !(n in env));
    assert.deepEqual(missing, [], 'every setting can be set from the compose environment');
  });

  it('only depends on services it defines, publishes each host port once, and names only volumes it declares', () => {
    const hostPorts: string[] = [];
    for (const [name, s] of Object.entries(services)) {
      const deps = Array.isArray(s.depends_on) ? s.depends_on : Object.keys(s.depends_on ?? {});
      for (const d of deps) assert.ok(services[d], `${name} depends on ${d}, which exists`);
      hostPorts.push(...(s.ports ?? []).map((p) => p.split(':')[0]!));
    }
    assert.equal(new Set(hostPorts).size, hostPorts.length, `host ports ${hostPorts.join(', ')}`);
    assert.ok(hostPorts.includes('8080'), 'the endpoint is reachable on 8080');
    assert.ok(hostPorts.includes('8090'), 'the intake is reachable on 8090');
    for (const v of ['postgresql-data', 'minio-data']) assert.ok(v in compose.volumes);
  });
});
