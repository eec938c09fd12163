/** The kubernetes-example chart (see __fixtures__/README.md), copied for a test or the demo. */
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const EXAMPLE_CHART = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../__fixtures__/kubernetes-example',
);

/** The files of the example that name images. */
export const IMAGE_FILES: readonly string[] = [
  'helm/values.yaml',
  'helm/.argocd-source-example.yaml',
  ...['dev', 'test', 'staging', 'prod'].map((env) => `helm-env/env/${env}/values.yaml`),
];

/**
 * Copies the example chart to `dir`, its image names pointing at `registryHost`
 * (`lyzhang1999/frontend` → `127.0.0.1:5000/lyzhang1999/frontend`): a chart that pulls from that
 * registry, so an update changes the tags and nothing else.
 */
export function copyExampleChart(dir: string, registryHost: string): void {
  cpSync(EXAMPLE_CHART, dir, { recursive: true });
  for (const file of IMAGE_FILES) {
    const text = readFileSync(path.join(dir, file), 'utf8');
    writeFileSync(
      path.join(dir, file),
      text.replaceAll('lyzhang1999/', `${registryHost}/lyzhang1999/`),
    );
  }
}
