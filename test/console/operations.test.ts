import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, print, visit } from 'graphql';
import { afterEach, describe, expect, it } from 'vitest';
import { ROOT } from '../../scripts/build.mjs';
import { checkOperations, FRAGMENTS_FILE, OPERATIONS_DIR, operationFiles } from '../../scripts/console-operations.mjs';

// The console's GraphQL operations are checked against schema.graphql when it is built:
// a field the API drops or renames must stop the build with the file and line that
// asks for it, not surface as a broken page. These tests make sure the check passes
// on the console as it is, and fails, at the right place, when the schema loses a field.

const SCHEMA = readFileSync(join(ROOT, 'schema.graphql'), 'utf8');

/** schema.graphql without one field of one type. */
function withoutField(typeName: string, fieldName: string): string {
  let removed = false;
  const document = visit(parse(SCHEMA), {
    ObjectTypeDefinition(type) {
      if (type.name.value !== typeName) return undefined;
      const fields = type.fields?.filter((field) => field.name.value !== fieldName);
      removed = fields?.length !== type.fields?.length;
      return { ...type, fields };
    },
  });
  if (!removed) throw new Error(`schema.graphql has no field ${typeName}.${fieldName}`);
  return print(document);
}

/** `<file>:<line>:<column> …` → the text the location points at. */
function textAt(problem: string): { file: string; text: string } {
  const match = /^(\S+?):(\d+):(\d+) /.exec(problem);
  if (!match) throw new Error(`not of the form <file>:<line>:<column> <message>: ${problem}`);
  const [, file, line, column] = match;
  const lineText = readFileSync(join(ROOT, file!), 'utf8').split('\n')[Number(line) - 1] ?? '';
  return { file: file!, text: lineText.slice(Number(column) - 1) };
}

/** Every `file:line` where the console's operations (or the fragments) name a field. */
function usesOf(fieldName: string): string[] {
  const files = [...operationFiles(ROOT), join(ROOT, FRAGMENTS_FILE)];
  return files.flatMap((path) => {
    const file = path.slice(ROOT.length + 1);
    const lines = readFileSync(path, 'utf8').split('\n');
    return lines.flatMap((text, index) => (new RegExp(`^\\s*${fieldName}\\b`).test(text) ? [`${file}:${index + 1}`] : []));
  });
}

describe('the console’s GraphQL operations', () => {
  it('are all valid against schema.graphql', async () => {
    expect(operationFiles(ROOT).length).toBeGreaterThan(0);
    expect(await checkOperations(ROOT)).toEqual([]);
  });

  // ApiKey.maskedKey is asked for through the shared KeyRow fragment; Viewer.subject, by the header's own query.
  it.each([
    ['ApiKey', 'maskedKey'],
    ['Viewer', 'subject'],
  ])('fail, naming the file and line, when the schema loses %s.%s', async (typeName, fieldName) => {
    const problems = await checkOperations(ROOT, withoutField(typeName, fieldName));
    expect(problems.length).toBeGreaterThan(0);
    for (const problem of problems) {
      expect(problem).toContain(`Cannot query field "${fieldName}" on type "${typeName}"`);
      // The location is that of the field in the file named.
      expect(textAt(problem).text.startsWith(fieldName), problem).toBe(true);
    }
    const reported = new Set(problems.map((problem) => problem.split(':').slice(0, 2).join(':')));
    // Every operation file asking for the field is named (the fragments file only when an operation spreads the fragment).
    const inOperations = usesOf(fieldName).filter((use) => use.startsWith(OPERATIONS_DIR));
    for (const use of inOperations) expect(reported, use).toContain(use);
    if (fieldName === 'maskedKey') expect([...reported].some((where) => where.startsWith(`${FRAGMENTS_FILE}:`))).toBe(true);
  });
});

describe('the operations check', () => {
  let root: string | null = null;
  afterEach(() => {
    if (root) rmSync(root, { recursive: true, force: true });
    root = null;
  });

  /** A project folder holding schema.graphql, the fragments, and the operation files given. */
  function projectWith(operations: Record<string, string>): string {
    root = mkdtempSync(join(tmpdir(), 'console-operations-'));
    mkdirSync(join(root, OPERATIONS_DIR), { recursive: true });
    copyFileSync(join(ROOT, 'schema.graphql'), join(root, 'schema.graphql'));
    copyFileSync(join(ROOT, FRAGMENTS_FILE), join(root, FRAGMENTS_FILE));
    for (const [name, text] of Object.entries(operations)) writeFileSync(join(root, OPERATIONS_DIR, name), text);
    return root;
  }

  it('accepts one named operation per file, spreading the shared fragments', async () => {
    const project = projectWith({ 'me.graphql': 'query Me {\n  viewer {\n    subject\n  }\n}\n' });
    expect(await checkOperations(project)).toEqual([]);
  });

  it('refuses unnamed, several or duplicate operations, and text that does not parse, naming each file', async () => {
    const project = projectWith({
      'anonymous.graphql': '{ viewer { subject } }\n',
      'first.graphql': 'query Same { viewer { subject } }\n',
      'second.graphql': 'query Same { viewer { operator } }\n',
      'two.graphql': 'query A { viewer { subject } }\nquery B { viewer { subject } }\n',
      'broken.graphql': 'query Broken {\n  viewer {\n    subject\n',
      'unknown-fragment.graphql': 'query Spreads { viewer { ...NoSuchFragment } }\n',
    });
    const problems = await checkOperations(project);
    const at = (file: string) => problems.filter((problem) => problem.startsWith(`${OPERATIONS_DIR}/${file}:`));
    expect(at('anonymous.graphql')).toEqual([`${OPERATIONS_DIR}/anonymous.graphql:1:1 must hold exactly one named operation`]);
    expect(at('two.graphql')).toEqual([`${OPERATIONS_DIR}/two.graphql:1:1 must hold exactly one named operation`]);
    expect(at('first.graphql')).toEqual([]);
    expect(at('second.graphql')).toEqual([`${OPERATIONS_DIR}/second.graphql:1:1 operation Same is also defined in ${OPERATIONS_DIR}/first.graphql`]);
    expect(at('broken.graphql')).toHaveLength(1);
    expect(at('broken.graphql')[0]).toMatch(/:4:1 Syntax Error/);
    expect(at('unknown-fragment.graphql').join('\n')).toContain('Unknown fragment "NoSuchFragment"');
    expect(problems).toHaveLength(5);
  });

  it('reads the fragments file itself: a fragment on a field the schema lacks fails where it is spread', async () => {
    const project = projectWith({ 'keys.graphql': 'query Keys {\n  apiKey(id: "x") {\n    ...KeyRow\n  }\n}\n' });
    const fragments = readFileSync(join(project, FRAGMENTS_FILE), 'utf8');
    expect(fragments).toMatch(/fragment KeyRow on ApiKey \{/);
    writeFileSync(join(project, FRAGMENTS_FILE), fragments.replace(/fragment KeyRow on ApiKey \{/, 'fragment KeyRow on ApiKey {\n  noSuchField'));
    const problems = await checkOperations(project);
    expect(problems).toEqual([`${FRAGMENTS_FILE}:4:3 Cannot query field "noSuchField" on type "ApiKey". (in Keys)`]);
  });
});
