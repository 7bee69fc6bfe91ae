import { EnvelopArmorPlugin } from '@escape.tech/graphql-armor';
import { type FragmentDefinitionNode, GraphQLError, getOperationAST, Kind, NoSchemaIntrospectionCustomRule, type SelectionSetNode, type ValueNode } from 'graphql';
import type { Plugin } from 'graphql-yoga';

/** Largest request body accepted, in bytes: generous for any real operation, far below a flood. */
export const MAX_BODY_BYTES = 64 * 1024;

/**
 * Static limits checked before execution: the deepest legitimate query
 * (project → apiKeys → edges → node → auditHistory → edges → node → key → …) is 8 levels.
 */
export function queryLimitsPlugin(production: boolean): Plugin {
  const armor = EnvelopArmorPlugin({
    maxDepth: { n: 12, ignoreIntrospection: true, flattenFragments: true },
    maxAliases: { n: 20 },
    maxTokens: { n: 2000 },
    maxDirectives: { n: 20 },
    // Armor's cost grows 1.5× per level; a page of 100 keys asking every field of
    // their 5 latest events costs about 265k, so this leaves room for real queries only.
    costLimit: { maxCost: 1_000_000 },
    // Suggestions ("did you mean …") help in development and map the schema for attackers.
    blockFieldSuggestion: { enabled: production },
  }) as Plugin;
  return {
    onPluginInit({ addPlugin }) {
      addPlugin(armor);
      addPlugin(timeTravelCostPlugin());
    },
  };
}

/** Most keys one request may rebuild from the log (time travel). */
export const MAX_KEYS_AS_OF_PER_REQUEST = 100;
const DEFAULT_FIRST = 20;
const MAX_FIRST = 100;

/**
 * Time travel rebuilds keys from the log, which costs far more than reading the
 * key table; armor's static cost cannot tell `apiKeys(asOf: …)` from
 * `apiKeys`. This counts the keys a request may rebuild: each
 * `apiKeys(asOf: …)` its `first` (default 20, a variable's value counts), each
 * `apiKey(id, asOf: …)` one, each `rotatedFrom`/`rotatedTo` of such keys one per
 * key, times the ids of an enclosing `nodes(ids)`. Over
 * MAX_KEYS_AS_OF_PER_REQUEST the request is refused (QUERY_TOO_COSTLY, HTTP 400)
 * before anything runs. It runs when execution starts, not as a validation rule:
 * yoga caches validation per document, and the count depends on the variables.
 */
export function timeTravelCostPlugin(limit = MAX_KEYS_AS_OF_PER_REQUEST): Plugin {
  return {
    onExecute({ args, setResultAndStopExecution }) {
      const operation = getOperationAST(args.document, args.operationName);
      if (!operation) return;
      const fragments = new Map<string, FragmentDefinitionNode>();
      for (const definition of args.document.definitions) {
        if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
      }
      // A variable left out takes its default from the operation (`$first: Int = 100`).
      // Variable names are the client's: no prototype, so "constructor" is just a name.
      const values: Record<string, unknown> = Object.assign(Object.create(null), args.variableValues);
      for (const definition of operation.variableDefinitions ?? []) {
        const name = definition.variable.name.value;
        if (values[name] === undefined && definition.defaultValue) values[name] = literalValue(definition.defaultValue, {});
      }
      const keys = keysAsOf(fragments, operation.selectionSet, values, new Set());
      if (keys <= limit) return;
      setResultAndStopExecution({
        errors: [
          new GraphQLError(`This request may rebuild ${keys} keys from the event log (asOf); at most ${limit} are allowed per request. Ask for fewer or smaller pages.`, {
            nodes: [operation],
            extensions: { code: 'QUERY_TOO_COSTLY', http: { status: 400 } },
          }),
        ],
      });
    },
  };
}

/**
 * Keys the selection may rebuild. `seenAsOf` is how many keys seen asOf each
 * selection here belongs to: their rotatedFrom/rotatedTo are folded from the log
 * too, one key each, and so are those links' own links.
 */
function keysAsOf(
  fragments: Map<string, FragmentDefinitionNode>,
  selectionSet: SelectionSetNode,
  variables: Record<string, unknown>,
  inFragments: Set<string>,
  seenAsOf = 0,
): number {
  let total = 0;
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.INLINE_FRAGMENT) {
      total += keysAsOf(fragments, selection.selectionSet, variables, inFragments, seenAsOf);
    } else if (selection.kind === Kind.FRAGMENT_SPREAD) {
      const name = selection.name.value;
      const fragment = fragments.get(name);
      // A fragment inside itself is a validation error already; here it counts once.
      if (!fragment || inFragments.has(name)) continue;
      total += keysAsOf(fragments, fragment.selectionSet, variables, new Set([...inFragments, name]), seenAsOf);
    } else {
      const args = new Map((selection.arguments ?? []).map((arg) => [arg.name.value, literalValue(arg.value, variables)]));
      const asOf = args.get('asOf');
      const timeTravel = asOf !== undefined && asOf !== null;
      const field = selection.name.value;
      // How many keys seen asOf the selections below belong to.
      let below = seenAsOf;
      if (field === 'apiKeys' && timeTravel) {
        const first = args.get('first');
        below = typeof first === 'number' && Number.isFinite(first) ? Math.max(0, Math.min(first, MAX_FIRST)) : DEFAULT_FIRST;
        total += below;
      } else if (field === 'apiKey' && timeTravel) {
        below = 1;
        total += 1;
      } else if ((field === 'rotatedFrom' || field === 'rotatedTo') && seenAsOf > 0) {
        total += seenAsOf;
      }
      if (selection.selectionSet) {
        const ids = field === 'nodes' ? args.get('ids') : undefined;
        const times = Array.isArray(ids) ? ids.length : 1;
        if (times > 0) total += times * keysAsOf(fragments, selection.selectionSet, variables, inFragments, below);
      }
    }
  }
  return total;
}

/** A literal's value, or a variable's from the request; undefined when absent. */
function literalValue(node: ValueNode, variables: Record<string, unknown>): unknown {
  switch (node.kind) {
    case Kind.VARIABLE:
      return variables[node.name.value];
    case Kind.NULL:
      return null;
    case Kind.INT:
    case Kind.FLOAT:
      return Number(node.value);
    case Kind.LIST:
      return node.values.map((value) => literalValue(value, variables));
    case Kind.OBJECT:
      return {};
    default:
      return 'value' in node ? node.value : undefined;
  }
}

export function disableIntrospectionPlugin(): Plugin {
  return {
    onValidate({ addValidationRule }) {
      addValidationRule(NoSchemaIntrospectionCustomRule);
    },
  };
}
