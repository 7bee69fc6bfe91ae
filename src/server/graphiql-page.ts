import type { IncomingMessage } from 'node:http';
import { renderGraphiQL } from '@graphql-yoga/render-graphiql';
import type { GraphiQLOptions } from 'graphql-yoga';
import { isFromThisMachine } from './browser-access';

// GraphiQL, development only, served whole from this process: its scripts, styles
// and fonts come inlined from @graphql-yoga/render-graphiql, so the page loads
// offline and asks no CDN for code that would run beside a development token.

/** The project main.ts signs the development token for. */
const DEMO_PROJECT = 'demo';

/** What GraphiQL opens on (unless the browser kept an earlier session): this API, worked through. */
export const GRAPHIQL_EXAMPLE = `# API key service: a worked example on the project "${DEMO_PROJECT}".
# Opened from this machine in development, the Headers pane below already holds a
# token with every permission on "${DEMO_PROJECT}" (npm start prints it as TOKEN=…).
#
# 1. Run ListKeys (the ▶ button asks which operation): the project's keys.
# 2. Run GenerateKey. The secret is in that answer and nowhere else: copy it.
# 3. In the Variables pane put {"secret": "<the secret>"} and run VerifyKey,
#    as the gateway does on every request: {"valid": true, "code": "VALID", …}.
# 4. Run ListKeys again: lastUsedAt shows the verification (within a second).

query ListKeys {
  project(id: "${DEMO_PROJECT}") {
    apiKeys(first: 20) {
      edges { node { id name maskedKey environment status createdAt createdBy lastUsedAt } }
      pageInfo { hasNextPage endCursor }
    }
  }
}

mutation GenerateKey {
  generateApiKey(input: { projectId: "${DEMO_PROJECT}", name: "Tried in GraphiQL", environment: "test" }) {
    __typename
    ... on GenerateApiKeyPayload { secret apiKey { id maskedKey status } }
    ... on ValidationError { message issues { path message } }
  }
}

mutation VerifyKey($secret: String!) {
  verifyApiKey(input: { secret: $secret }) {
    valid
    code
    key { id projectId name environment expiresAt }
  }
}
`;

export const GRAPHIQL_TITLE = 'API key service';

/**
 * yoga's `graphiql` option. The development token goes only to a page asked for
 * on this machine, under the same rule as the console's (isFromThisMachine): DNS
 * rebinding, or a proxy on this machine, would otherwise hand it to others.
 */
export function graphiqlOptionsFor(developmentToken: string | undefined) {
  // The node adapter puts the request's IncomingMessage in the server context as req.
  return (_request: Request, context?: { req?: IncomingMessage }): GraphiQLOptions => ({
    title: GRAPHIQL_TITLE,
    defaultQuery: GRAPHIQL_EXAMPLE,
    headers: developmentToken && context?.req && isFromThisMachine(context.req, { navigation: true }) ? JSON.stringify({ Authorization: `Bearer ${developmentToken}` }) : undefined,
  });
}

/**
 * yoga's `renderGraphiQL` option. The page is about 9 MB (GraphiQL and its editor
 * inlined), so each variant (with or without the token) is built once.
 */
export function createGraphiQLRenderer() {
  const pages = new Map<string, string>();
  return (options: GraphiQLOptions): string => {
    const key = JSON.stringify(options);
    let page = pages.get(key);
    if (page === undefined) {
      // Only two variants exist; the bound is a backstop should options ever vary per request.
      if (pages.size >= 4) pages.clear();
      page = renderGraphiQL(options);
      pages.set(key, page);
    }
    return page;
  };
}
