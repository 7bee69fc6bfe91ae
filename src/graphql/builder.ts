import SchemaBuilder from '@pothos/core';
import ErrorsPlugin from '@pothos/plugin-errors';
import RelayPlugin from '@pothos/plugin-relay';
import ScopeAuthPlugin from '@pothos/plugin-scope-auth';
import { DateTimeResolver } from 'graphql-scalars';
import { hasPermission, hasPermissionAnywhere, isOperator, type Permission } from '../auth/principal';
import type { GraphQLContext } from './context';

/** The one typed schema builder every schema file adds to. */
export const builder = new SchemaBuilder<{
  Context: GraphQLContext;
  Scalars: { DateTime: { Input: Date; Output: Date | string } };
  AuthScopes: {
    /** The principal holds this permission on this project (or on "*"). */
    permission: { projectId: string; permission: Permission };
    /** The principal may verify keys of at least one project. */
    verifier: boolean;
    /** The principal holds audit:read on at least one project. */
    auditor: boolean;
    /** The principal holds "operator" on "*": checks that span every tenant. */
    operator: boolean;
  };
  DefaultFieldNullability: false;
  DefaultEdgesNullability: false;
  DefaultNodeNullability: false;
}>({
  // Scope auth first, so a denied field never reaches its resolver (and never writes).
  plugins: [ScopeAuthPlugin, ErrorsPlugin, RelayPlugin],
  defaultFieldNullability: false,
  scopeAuth: {
    // Subscriptions are authorized once, before they start, so a refused one never opens a stream.
    authorizeOnSubscribe: true,
    authScopes: (ctx) => ({
      permission: ({ projectId, permission }) => hasPermission(ctx.principal, projectId, permission),
      verifier: hasPermissionAnywhere(ctx.principal, 'keys:verify'),
      auditor: hasPermissionAnywhere(ctx.principal, 'audit:read'),
      operator: isOperator(ctx.principal),
    }),
  },
  relay: {
    clientMutationId: 'omit',
    cursorType: 'String',
    edgesFieldOptions: { nullable: false },
    nodeFieldOptions: { nullable: false },
  },
  errors: { directResult: true },
});

builder.addScalarType('DateTime', DateTimeResolver);
builder.queryType({});
builder.mutationType({});
builder.subscriptionType({});
