import type { IncomingMessage } from 'node:http';
import { GraphQLError } from 'graphql';
import { createYoga } from 'graphql-yoga';
import type { Logger } from 'pino';
import { type Authenticate, AuthenticationError } from '../auth/authenticate';
import type { Principal } from '../auth/principal';
import { createGraphQLContext } from '../graphql/context';
import { schema } from '../graphql/schema';
import { corsFor } from './browser-access';
import type { ClientInfo } from './client-info';
import { errorResponsePlugin } from './error-response-plugin';
import { createGraphiQLRenderer, graphiqlOptionsFor } from './graphiql-page';
import { createMaskError } from './mask-error';
import { operationRecordPlugin } from './operation-record-plugin';
import { disableIntrospectionPlugin, queryLimitsPlugin } from './query-limits';
import type { RequestRecord } from './request-record';
import type { ServiceParts } from './service-parts';

/** What the HTTP layer hands yoga with each request. */
export interface RequestContext {
  requestId: string;
  client: ClientInfo;
  /** Authenticated before yoga parses anything; absent only for the GraphiQL page and CORS preflights. */
  principal?: Principal;
  /** The access log's record of this request: the operation run is noted on it. */
  record?: RequestRecord;
  /** The request as Node received it; the node adapter adds it. */
  req?: IncomingMessage;
}

export interface YogaAppOptions {
  production: boolean;
  introspection?: boolean;
  graphiqlToken?: string;
  corsOrigins: string[];
  logger: Logger;
  authenticate: Authenticate;
}

/** The GraphQL app: schema, error policy, limits, CORS and GraphiQL; it knows nothing of sockets. */
export function createYogaApp(parts: ServiceParts, options: YogaAppOptions) {
  const { production, logger, authenticate } = options;
  const { db, verifier, feed, afterCommit, now, checkIntegrity, heavyWork, ids, usageSettings, databaseHealth } = parts;
  return createYoga<RequestContext>({
    schema,
    graphqlEndpoint: '/graphql',
    landingPage: false,
    logging: false,
    cors: corsFor(options.corsOrigins),
    graphiql: production ? false : graphiqlOptionsFor(options.graphiqlToken),
    renderGraphiQL: createGraphiQLRenderer(),
    maskedErrors: { maskError: createMaskError((error) => databaseHealth.failed(error)) },
    plugins: [
      queryLimitsPlugin(production),
      ...((options.introspection ?? !production) ? [] : [disableIntrospectionPlugin()]),
      errorResponsePlugin(logger),
      operationRecordPlugin(),
    ],
    context: async ({ request, requestId, client, principal: authenticated }) => {
      try {
        const principal = authenticated ?? (await authenticate(request.headers.get('authorization')));
        return createGraphQLContext({
          db,
          verifier,
          feed,
          afterCommit,
          now,
          principal,
          client,
          requestId,
          checkIntegrity,
          heavyWork,
          ids,
          usage: usageSettings,
          signal: request.signal,
        });
      } catch (error) {
        if (!(error instanceof AuthenticationError)) throw error;
        throw new GraphQLError(error.message, {
          extensions: { code: error.code, http: { status: 401, headers: { 'www-authenticate': 'Bearer' } } },
        });
      }
    },
  });
}

export type YogaApp = ReturnType<typeof createYogaApp>;
