// An operation file imports as the document the page sends (see scripts/console-operations.mjs).
declare module '*.graphql' {
  const document: string;
  export default document;
}
