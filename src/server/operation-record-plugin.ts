import { type DocumentNode, getOperationAST, Kind } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { RequestRecord } from './request-record';

/**
 * Notes on the request's record which operation yoga runs: its type, its name and
 * its top-level fields (never arguments or variables). A document that fails to
 * parse or validate never gets here, and is logged without an operation.
 */
export function operationRecordPlugin(): Plugin<{ record?: RequestRecord }> {
  const note = ({ args }: { args: { document: DocumentNode; operationName?: string | null; contextValue: unknown } }) => {
    const record = (args.contextValue as { record?: RequestRecord }).record;
    const operation = getOperationAST(args.document, args.operationName);
    if (!record || !operation) return;
    record.operationType = operation.operation;
    record.operationName = operation.name?.value ?? null;
    record.rootFields = operation.selectionSet.selections.flatMap((selection) => (selection.kind === Kind.FIELD ? [selection.name.value] : []));
  };
  return { onExecute: note, onSubscribe: note };
}
