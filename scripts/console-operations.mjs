// The console's GraphQL operations: one .graphql file per operation under
// console/src/api/operations/, sharing the fragments of console/src/api/fragments.graphql.
// The build checks every operation against schema.graphql before bundling the console
// (a field renamed or removed in the API stops the build, naming the file and line),
// and bundles each file as the document the page sends: the operation plus the
// fragments it uses, nothing else (GraphQL refuses unused fragments).
// Plain JavaScript, like build.mjs, which imports it.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';

export const OPERATIONS_DIR = 'console/src/api/operations';
export const FRAGMENTS_FILE = 'console/src/api/fragments.graphql';

const rel = (root, path) => relative(root, path).split(sep).join('/');

export function operationFiles(root) {
  const dir = join(root, OPERATIONS_DIR);
  return readdirSync(dir)
    .filter((name) => name.endsWith('.graphql'))
    .sort()
    .map((name) => join(dir, name));
}

/** Each fragment's name → its definition, as parsed from the shared fragments file. */
function fragmentsOf(graphql, root) {
  const source = readFileSync(join(root, FRAGMENTS_FILE), 'utf8');
  const byName = new Map();
  for (const definition of graphql.parse(new graphql.Source(source, FRAGMENTS_FILE)).definitions) {
    if (definition.kind === graphql.Kind.FRAGMENT_DEFINITION) byName.set(definition.name.value, definition);
  }
  return byName;
}

/** The operation of `file` with the shared fragments it uses, directly or through other fragments. */
function compose(graphql, fragments, document) {
  const used = new Map();
  const visit = (node) => {
    graphql.visit(node, {
      FragmentSpread(spread) {
        const name = spread.name.value;
        const definition = fragments.get(name);
        if (used.has(name) || !definition) return;
        used.set(name, definition);
        visit(definition);
      },
    });
  };
  visit(document);
  const own = new Set(document.definitions.filter((d) => d.kind === graphql.Kind.FRAGMENT_DEFINITION).map((d) => d.name.value));
  const added = [...used.values()].filter((definition) => !own.has(definition.name.value));
  return { ...document, definitions: [...document.definitions, ...added] };
}

/**
 * Every operation validated against schema.graphql. Gives the problems found, each as
 * `<file>:<line>:<column> <message>`; empty when all are valid. `schemaSource` stands
 * in for schema.graphql (a test checks that a schema without a field the page asks for fails).
 */
export async function checkOperations(root, schemaSource = readFileSync(join(root, 'schema.graphql'), 'utf8')) {
  const graphql = await import('graphql');
  const schema = graphql.buildSchema(schemaSource);
  const fragments = fragmentsOf(graphql, root);
  const problems = [];
  const names = new Map();
  for (const file of operationFiles(root)) {
    const source = readFileSync(file, 'utf8');
    let document;
    try {
      document = graphql.parse(new graphql.Source(source, rel(root, file)));
    } catch (error) {
      problems.push(`${rel(root, file)}:${error.locations?.[0]?.line ?? 1}:${error.locations?.[0]?.column ?? 1} ${error.message}`);
      continue;
    }
    const operations = document.definitions.filter((d) => d.kind === graphql.Kind.OPERATION_DEFINITION);
    if (operations.length !== 1 || !operations[0].name) {
      problems.push(`${rel(root, file)}:1:1 must hold exactly one named operation`);
      continue;
    }
    const name = operations[0].name.value;
    if (names.has(name)) problems.push(`${rel(root, file)}:1:1 operation ${name} is also defined in ${names.get(name)}`);
    names.set(name, rel(root, file));
    for (const error of graphql.validate(schema, compose(graphql, fragments, document))) {
      const where = error.locations?.[0];
      // A location inside a shared fragment is reported against the fragments file.
      const file_ = error.source?.name ?? FRAGMENTS_FILE;
      problems.push(`${file_}:${where?.line ?? 1}:${where?.column ?? 1} ${error.message} (in ${name})`);
    }
  }
  return problems;
}

/** esbuild plugin: `import query from './operations/x.graphql'` gives the document to send, as a string. */
export function operationsPlugin(root) {
  return {
    name: 'console-operations',
    async setup(build) {
      const graphql = await import('graphql');
      const fragments = fragmentsOf(graphql, root);
      build.onLoad({ filter: /\.graphql$/ }, (args) => {
        const document = compose(graphql, fragments, graphql.parse(readFileSync(args.path, 'utf8')));
        return { contents: `export default ${JSON.stringify(graphql.print(document))};`, loader: 'js' };
      });
    },
  };
}
