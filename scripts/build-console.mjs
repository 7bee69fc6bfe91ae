// Bundles the API Keys console (console/src) into <out>/console: index.html and
// content-hashed assets/ (script and styles), so the service can cache assets for
// good and serve index.html with a strict Content-Security-Policy: no inline script
// or style, nothing from another origin. Every path in index.html is relative, so
// the console also works behind a proxy that serves it under a path of its own.
import { existsSync, writeFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { checkOperations, operationsPlugin } from './console-operations.mjs';

/** What the console is built from, when this copy of the service has it (schema.graphql counts only then: the operations are checked against it). */
export function consoleSources(root) {
  return hasConsole(root) ? ['console', 'schema.graphql'] : [];
}

function hasConsole(root) {
  return existsSync(join(root, 'console', 'src', 'main.tsx'));
}

/**
 * Builds into `<out>/console` and gives the files written, relative to `out` (`quiet`:
 * esbuild prints nothing; a failure is only thrown). A copy of
 * the service without console/ (the server's sources alone) builds without it; the
 * service then answers / with a page saying the console was not built.
 */
export async function buildConsole(esbuild, root, out, { quiet = false } = {}) {
  if (!hasConsole(root)) return [];
  const problems = await checkOperations(root);
  if (problems.length > 0)
    throw new Error(`the console's GraphQL operations do not validate against schema.graphql (after changing the API, npm run schema regenerates it):\n  ${problems.join('\n  ')}`);
  const dir = join(out, 'console');
  const result = await esbuild.build({
    absWorkingDir: root,
    entryPoints: { app: 'console/src/main.tsx' },
    outdir: join(dir, 'assets'),
    entryNames: '[name]-[hash]',
    assetNames: '[name]-[hash]',
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: ['chrome111', 'edge111', 'firefox114', 'safari16.4'],
    jsx: 'automatic',
    minify: true,
    legalComments: 'none',
    define: { 'process.env.NODE_ENV': '"production"' },
    plugins: [operationsPlugin(root)],
    metafile: true,
    // Quiet: the caller reports a failure in a line of its own (see build.mjs).
    logLevel: quiet ? 'silent' : 'warning',
  });
  const outputs = Object.keys(result.metafile.outputs).map((output) => relative(dir, join(root, output)).split(sep).join('/'));
  const script = outputs.find((file) => file.endsWith('.js'));
  const style = outputs.find((file) => file.endsWith('.css'));
  if (!script || !style) throw new Error(`the console build gave no ${script ? 'stylesheet' : 'script'}`);
  writeFileSync(join(dir, 'index.html'), page(script, style));
  return ['index.html', ...outputs].map((file) => `console/${file}`);
}

function page(script, style) {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<link rel="icon" href="data:,">
<title>API Keys</title>
<link rel="stylesheet" href="${style}">
<script type="module" src="${script}"></script>
</head>
<body>
<div id="root"></div>
<noscript>The API Keys console needs JavaScript.</noscript>
</body>
</html>
`;
}
