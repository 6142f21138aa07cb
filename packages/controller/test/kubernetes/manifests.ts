// deploy/ and docs/kubernetes.md as data, for the manifest and RBAC tests.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { Schema } from './openapi-validator.js';
import { repoRoot } from './repo-root.js';

// biome-ignore lint/suspicious/noExplicitAny: manifests are free-form
export type Doc = Record<string, any>;

export const REPO = repoRoot();
export const DEPLOY = join(REPO, 'deploy');

export function yamlFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? yamlFiles(p) : p.endsWith('.yaml') ? [p] : [];
  });
}

export function loadYaml(path: string): Doc[] {
  return parseAllDocuments(readFileSync(path, 'utf8')).map((d, i) => {
    if (d.errors.length) throw new Error(`${relative(REPO, path)} document ${i}: ${d.errors[0]!.message}`);
    return d.toJS() as Doc;
  });
}

/** The ```yaml blocks of a Markdown file, as documents. */
export function docsExamples(path: string): Doc[] {
  const md = readFileSync(path, 'utf8');
  return [...md.matchAll(/```yaml\n([\s\S]*?)```/g)].flatMap((m) =>
    parseAllDocuments(m[1]!).map((d) => {
      if (d.errors.length) throw new Error(`docs example: ${d.errors[0]!.message}\n${m[1]}`);
      return d.toJS() as Doc;
    }),
  );
}

export const crds = new Map<string, Doc>(
  yamlFiles(join(DEPLOY, 'crds'))
    .flatMap(loadYaml)
    .map((d) => [d.spec.names.kind as string, d]),
);

export function schemaOf(kind: string): Schema {
  const crd = crds.get(kind);
  if (!crd) throw new Error(`no CRD for ${kind}`);
  return crd.spec.versions[0].schema.openAPIV3Schema as Schema;
}
