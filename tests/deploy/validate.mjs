// Offline checks of the deployment files: Kubernetes manifests against the Kubernetes schemas (kubernetes-models),
// Dockerfiles through a Dockerfile validator (dockerfile-utils) plus the rules this project needs, and the compose
// file's wiring. Ends with "deploy: N passed, M failed" for .ci/run to count.
import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments, parse } from 'yaml';
import dockerignore from '@balena/dockerignore';
import { validate as validateDockerfile } from 'dockerfile-utils';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { Service } from 'kubernetes-models/v1/Service';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const docker = join(root, 'docker');
const models = { Deployment, Service, HorizontalPodAutoscaler };
let passed = 0, failed = 0;

function check(name, fn) {
  try {
    fn();
    passed++;
    console.log(`PASS ${name}`);
  } catch (e) {
    failed++;
    console.log(`FAIL ${name}: ${e.message}`);
  }
}

function assert(condition, message) {
  if (!condition) throw new Error(message);
}

const manifests = {};
for (const file of ['deployment.yaml', 'service.yaml', 'hpa.yaml']) {
  for (const doc of parseAllDocuments(readFileSync(join(docker, 'k8s', file), 'utf8'))) {
    const object = doc.toJSON();
    check(`k8s/${file} ${object.kind} matches the Kubernetes schema`, () => {
      const Model = models[object.kind];
      assert(Model, `no schema check for kind ${object.kind}`);
      new Model(object).validate();
      manifests[object.kind] = object;
    });
  }
}

check('the Deployment probes /ready and /health on the HTTP port and exposes both ZeroMQ ports', () => {
  const container = manifests.Deployment.spec.template.spec.containers[0];
  assert(container.readinessProbe.httpGet.path === '/ready', 'readiness probe is not /ready');
  assert(container.livenessProbe.httpGet.path === '/health', 'liveness probe is not /health');
  const ports = container.ports.map(p => p.containerPort);
  for (const port of [5555, 5556, 8125]) assert(ports.includes(port), `container port ${port} missing`);
  assert(manifests.Deployment.spec.template.spec.securityContext.runAsNonRoot === true, 'pods may run as root');
});

check('the Service publishes 5555, 5556 and 8125 with client-IP affinity', () => {
  const ports = manifests.Service.spec.ports.map(p => p.port);
  for (const port of [5555, 5556, 8125]) assert(ports.includes(port), `service port ${port} missing`);
  assert(manifests.Service.spec.sessionAffinity === 'ClientIP', 'ZeroMQ clients need ClientIP affinity');
  assert(manifests.HorizontalPodAutoscaler.spec.scaleTargetRef.name === manifests.Deployment.metadata.name, 'the autoscaler targets another deployment');
});

for (const file of ['Dockerfile', 'Dockerfile.gpu']) {
  const content = readFileSync(join(docker, file), 'utf8');
  check(`${file} has no validator errors or warnings`, () => {
    const problems = validateDockerfile(content);
    assert(problems.length === 0, problems.map(p => `line ${p.range.start.line + 1}: ${p.message}`).join('; '));
  });
  check(`${file} runs as a non-root user, exposes 5555 5556 8125 and has a HEALTHCHECK on /ready`, () => {
    assert(/^USER app$/m.test(content), 'no USER app');
    assert(/^EXPOSE 5555 5556 8125$/m.test(content), 'EXPOSE 5555 5556 8125 missing');
    assert(/^HEALTHCHECK .*\n?.*\/ready/m.test(content), 'no HEALTHCHECK on /ready');
    assert(/^ENTRYPOINT \["bertserving-entrypoint"\]$/m.test(content), 'the entrypoint script is not the ENTRYPOINT');
  });
}

check('docker-compose.yml publishes both ZeroMQ ports and starts the client once the server is healthy', () => {
  const compose = parse(readFileSync(join(docker, 'docker-compose.yml'), 'utf8'));
  const ports = compose.services.server.ports.map(p => p.split(':')[0]);
  for (const port of ['5555', '5556']) assert(ports.includes(port), `port ${port} not published`);
  assert(compose.services.client.depends_on.server.condition === 'service_healthy', 'the client does not wait for a healthy server');
});

check('.dockerignore keeps host build output out of the build context and every tracked source in it', () => {
  // Docker's own matching rules (@balena/dockerignore), on the context the Dockerfiles use: the repository root.
  const ignore = dockerignore().add(readFileSync(join(root, '.dockerignore'), 'utf8'));
  const hostOutput = ['src/BertServing.Server/bin/Release/net10.0/bertserving-start.dll', 'src/BertServing.Server/obj/project.assets.json',
    'tests/BertServing.Tests/bin/Debug/net10.0/x.dll', 'tests/deploy/node_modules/yaml/package.json', 'artifacts/packages/BertServing.Server.0.1.0.nupkg', '.git/HEAD'];
  for (const path of hostOutput) assert(ignore.ignores(path), `${path} would be sent to the Docker daemon`);
  const tracked = execFileSync('git', ['ls-files'], { cwd: root, encoding: 'utf8' }).split('\n').filter(Boolean);
  assert(tracked.includes('docker/entrypoint.sh'), 'git ls-files did not list the repository');
  const dropped = tracked.filter(path => ignore.ignores(path));
  assert(dropped.length === 0, `tracked files left out of the build context: ${dropped.join(', ')}`);
});

console.log(`deploy: ${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
