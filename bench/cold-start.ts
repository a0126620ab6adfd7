import { spawn } from 'node:child_process';
import {
  existsSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build, type Metafile } from 'esbuild';
import { ALL_FUNCTIONS } from '../functions/catalog.js';
import type { BenchSettings } from './options.js';
import { round, summarise } from './stats.js';

/**
 * Lambda cold-start proxies: each function bundled as the CDK bundles it
 * (lib/actions.ts: ESM, minified, linked source map without sources,
 * target node22, platform node, main fields module,main, the createRequire
 * banner, and the AWS SDK bundled rather than external), its size, and the
 * time a fresh `node --enable-source-maps` process (the deployed
 * NODE_OPTIONS) takes to import it. The baseline is a handler bundled the
 * same way that creates the same SDK clients and nothing else.
 */

/** One function against its minimal-handler baseline. */
export interface ColdStartResult {
  readonly name: string;
  readonly bytes: number;
  readonly mapBytes: number;
  readonly baselineBytes: number;
  readonly sizeRatio: number;
  readonly initMs: number;
  readonly baselineInitMs: number;
  readonly initRatio: number;
  /** The SDK clients the baseline creates (as the function does). */
  readonly clients: readonly string[];
  /** What the function's bundle holds beyond the baseline's, largest first. */
  readonly additions: readonly {
    readonly source: string;
    readonly kb: number;
  }[];
}

const REPO_ROOT = resolve(process.cwd());

/** The createRequire banner, read from lib/actions.ts so it cannot drift. */
const requireBanner = (): string => {
  const source = readFileSync(join(REPO_ROOT, 'lib', 'actions.ts'), 'utf8');
  const found = /const REQUIRE_BANNER =([\s\S]*?);\s*\n/.exec(source);
  const pieces = [...(found?.[1] ?? '').matchAll(/(['"])(.*?)\1/g)];
  if (pieces.length === 0) throw new Error('REQUIRE_BANNER not found');

  return pieces.map((piece) => piece[2]).join('');
};

interface Bundle {
  readonly file: string;
  readonly bytes: number;
  readonly mapBytes: number;
  readonly metafile: Metafile;
}

const bundle = async (
  outDir: string,
  input: { entry: string } | { contents: string },
  banner: string,
): Promise<Bundle> => {
  const file = join(outDir, 'index.mjs');
  const result = await build({
    ...('entry' in input
      ? { entryPoints: [input.entry] }
      : {
          stdin: {
            contents: input.contents,
            resolveDir: REPO_ROOT,
            sourcefile: 'baseline.mjs',
            loader: 'js',
          },
        }),
    bundle: true,
    platform: 'node',
    target: 'node22',
    format: 'esm',
    mainFields: ['module', 'main'],
    minify: true,
    sourcemap: true,
    sourcesContent: false,
    banner: { js: banner },
    outfile: file,
    metafile: true,
    logLevel: 'silent',
  });

  return {
    file,
    bytes: statSync(file).size,
    mapBytes: statSync(`${file}.map`).size,
    metafile: result.metafile,
  };
};

/** SDK clients: the package, the class, and how the product makes it. */
const CLIENTS = [
  { pkg: 'client-dynamodb', name: 'DynamoDBDocumentClient' },
  { pkg: 'client-sesv2', name: 'SESv2Client' },
  { pkg: 'client-sfn', name: 'SFNClient' },
  { pkg: 'client-secrets-manager', name: 'SecretsManagerClient' },
] as const;

/** Bytes in the output by package (`functions/` for the product's code). */
const bytesBySource = (metafile: Metafile): Map<string, number> => {
  const totals = new Map<string, number>();
  for (const output of Object.values(metafile.outputs)) {
    for (const [path, input] of Object.entries(output.inputs)) {
      const found = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path);
      const source = found?.[1] ?? path.split('/')[0] ?? path;
      totals.set(source, (totals.get(source) ?? 0) + input.bytesInOutput);
    }
  }

  return totals;
};

const additionsOf = (product: Bundle, baseline: Bundle) => {
  const base = bytesBySource(baseline.metafile);

  return [...bytesBySource(product.metafile)]
    .map(([source, bytes]) => ({
      source,
      kb: round((bytes - (base.get(source) ?? 0)) / 1024),
    }))
    .filter((addition) => addition.kb >= 1)
    .sort((a, b) => b.kb - a.kb)
    .slice(0, 5);
};

const uses = (metafile: Metafile, part: string): boolean =>
  Object.keys(metafile.inputs).some((input) => input.includes(part));

/**
 * The baseline's source: functions/domain/clients.ts creates the DynamoDB
 * document client, SES and Step Functions clients at load; secrets.ts
 * creates its Secrets Manager client on first use, so the baseline bundles
 * that class without creating it.
 */
const baselineSource = (metafile: Metafile): { key: string; code: string } => {
  const eager = uses(metafile, 'functions/domain/clients.ts');
  const wanted = CLIENTS.filter((c) => uses(metafile, `@aws-sdk/${c.pkg}/`));
  const lines: string[] = [];
  const made: string[] = [];
  for (const client of wanted) {
    if (client.name === 'DynamoDBDocumentClient') {
      lines.push(
        "import { DynamoDBClient } from '@aws-sdk/client-dynamodb';",
        "import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';",
      );
      if (eager) {
        made.push(
          'DynamoDBDocumentClient.from(new DynamoDBClient({}), ' +
            '{ marshallOptions: { removeUndefinedValues: true } })',
        );
      }
    } else {
      lines.push(`import { ${client.name} } from '@aws-sdk/${client.pkg}';`);
      const lazy = client.name === 'SecretsManagerClient' || !eager;
      made.push(lazy ? client.name : `new ${client.name}({})`);
    }
  }
  lines.push(
    `const clients = [${made.join(', ')}];`,
    'export const handler = async () => ({ clients: clients.length });',
  );

  return { key: wanted.map((c) => c.name).join('+'), code: lines.join('\n') };
};

/**
 * What a deployed function finds in its environment: every table and
 * setting the product reads at load (a superset: unused ones cost nothing),
 * secrets as values so that nothing reaches the network.
 */
const functionEnvironment = async (): Promise<NodeJS.ProcessEnv> => {
  const { tableEnvironment } = await import('../local/dynamo.js');

  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    NODE_OPTIONS: '--enable-source-maps',
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'bench',
    AWS_SECRET_ACCESS_KEY: 'bench',
    AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE: '1',
    ...tableEnvironment('bench'),
    STAGE: 'bench',
    POWERTOOLS_SERVICE_NAME: 'insider-risk-flows',
    POWERTOOLS_LOG_LEVEL: 'INFO',
    STATE_MACHINE_ARN_PREFIX:
      'arn:aws:states:us-east-1:000000000000:stateMachine:irm-bench-',
    PUBLIC_BASE_URL: 'https://flows.bench.example',
    SENDER_ADDRESS: 'insider-risk@flows.example',
    SES_CONFIGURATION_SET: 'irm-bench',
    TEMPLATES_DIR: join(REPO_ROOT, 'functions', 'templates'),
    ALIAS_SECRET: 'bench-only-secret',
    SERVICENOW_INSTANCE_URL: 'https://servicenow.bench.example',
    SERVICENOW_SECRET: JSON.stringify({ username: 'u', password: 'p' }),
  };
};

const INIT_SCRIPT = (url: string): string =>
  'const t = performance.now();' +
  `await import(${JSON.stringify(url)});` +
  'process.stdout.write(String(performance.now() - t));';

/** ms a fresh Node process takes to import (initialise) a bundle. */
const initTime = (file: string, env: NodeJS.ProcessEnv): Promise<number> =>
  new Promise((done, fail) => {
    const url = pathToFileURL(file).href;
    const child = spawn(
      process.execPath,
      ['--input-type=module', '-e', INIT_SCRIPT(url)],
      { env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      err += chunk.toString();
    });
    child.on('error', fail);
    child.on('close', (code) => {
      const ms = Number(out);
      if (code === 0 && Number.isFinite(ms)) done(ms);
      else fail(new Error(`Importing ${file} failed (${code}): ${err}`));
    });
  });

interface Target {
  readonly name: string;
  readonly product: Bundle;
  readonly baseline: Bundle;
  readonly clients: readonly string[];
}

const bundleAll = async (root: string): Promise<Target[]> => {
  const banner = requireBanner();
  const baselines = new Map<string, Bundle>();
  const targets: Target[] = [];
  for (const spec of ALL_FUNCTIONS) {
    const entry = join(REPO_ROOT, 'functions', `${spec.name}.ts`);
    if (!existsSync(entry)) continue;
    const product = await bundle(join(root, spec.name), { entry }, banner);
    const source = baselineSource(product.metafile);
    let baseline = baselines.get(source.key);
    if (!baseline) {
      const dir = join(root, `baseline-${baselines.size}`);
      baseline = await bundle(dir, { contents: source.code }, banner);
      baselines.set(source.key, baseline);
    }
    targets.push({
      name: spec.name,
      product,
      baseline,
      clients: source.key.split('+'),
    });
  }

  return targets;
};

/** Bundles every function of the catalog and times its initialisation. */
export const runColdStart = async (
  settings: BenchSettings,
): Promise<ColdStartResult[]> => {
  const root = mkdtempSync(join(tmpdir(), 'irm-bench-bundles-'));
  try {
    const targets = await bundleAll(root);
    const env = await functionEnvironment();
    const samples = new Map<string, number[]>();
    const add = (file: string, ms: number) =>
      samples.set(file, [...(samples.get(file) ?? []), ms]);
    const files = [
      ...new Set(targets.flatMap((t) => [t.product.file, t.baseline.file])),
    ];
    // Rounds interleave every bundle so that drifting load hits all alike.
    for (let round = 0; round < settings.coldStartSamples; round += 1) {
      for (const file of files) add(file, await initTime(file, env));
    }
    process.stderr.write('  cold-start done\n');

    return targets.map((target) => resultOf(target, samples));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
};

const resultOf = (
  target: Target,
  samples: ReadonlyMap<string, number[]>,
): ColdStartResult => {
  const initMs = summarise(samples.get(target.product.file) ?? []).median;
  const baselineInitMs = summarise(
    samples.get(target.baseline.file) ?? [],
  ).median;

  return {
    name: target.name,
    bytes: target.product.bytes,
    mapBytes: target.product.mapBytes,
    baselineBytes: target.baseline.bytes,
    sizeRatio: round(target.product.bytes / target.baseline.bytes),
    initMs: round(initMs),
    baselineInitMs: round(baselineInitMs),
    initRatio: round(initMs / baselineInitMs),
    clients: target.clients,
    additions: additionsOf(target.product, target.baseline),
  };
};
