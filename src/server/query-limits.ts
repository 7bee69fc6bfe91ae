import { EnvelopArmorPlugin } from '@escape.tech/graphql-armor';
import { NoSchemaIntrospectionCustomRule } from 'graphql';
import type { Plugin } from 'graphql-yoga';

/** Largest request body accepted, in bytes: generous for any real operation, far below a flood. */
export const MAX_BODY_BYTES = 64 * 1024;

/**
 * Static limits checked before execution: the deepest legitimate query
 * (project → apiKeys → edges → node → auditHistory → edges → node → key → …) is 8 levels.
 */
export function queryLimitsPlugin(production: boolean): Plugin {
  return EnvelopArmorPlugin({
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
}

export function disableIntrospectionPlugin(): Plugin {
  return {
    onValidate({ addValidationRule }) {
      addValidationRule(NoSchemaIntrospectionCustomRule);
    },
  };
}
