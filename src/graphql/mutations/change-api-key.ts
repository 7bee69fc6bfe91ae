import { changeApiKey, type KeyChange } from '../../commands/api-key-commands';
import { builder } from '../builder';
import { commandContext } from '../context';
import { encodeGlobalID, parseGlobalId } from '../global-id';
import { loadVisibleKeyOrFail, permissionOnKey } from '../key-access';
import { ApiKeyRef } from '../types/api-key';
import { KEY_CHANGE_ERRORS } from '../types/errors';
import { KEY_DETAILS_DESCRIPTION, loadKeyAfterWrite } from './load-key-after-write';

/** Shared with rollApiKey's input: every key-changing mutation takes it the same way. */
export const EXPECTED_VERSION_DESCRIPTION =
  'The key’s version (ApiKey.version) the caller last saw; when the key has changed since, nothing is written and the answer is a ConflictError. Omit to act on the key as it is.';

// deactivate, reactivate and delete share one input shape and one flow; each
// still gets its own input, payload and result type, as Relay conventions ask.
const changes: { field: string; command: KeyChange; description: string }[] = [
  { field: 'deactivateApiKey', command: 'DeactivateKey', description: 'Stops an active key from verifying; reversible.' },
  { field: 'reactivateApiKey', command: 'ReactivateKey', description: 'Lets a deactivated key verify again.' },
  { field: 'deleteApiKey', command: 'DeleteKey', description: 'Permanently revokes a key; anything using it loses access at once.' },
];

for (const { field, command, description } of changes) {
  const typeName = field[0]!.toUpperCase() + field.slice(1);
  const Input = builder.inputType(`${typeName}Input`, {
    fields: (t) => ({
      id: t.id({ required: true }),
      reason: t.string({ description: 'Why; shown in the key’s history and the audit log. At most 500 characters.' }),
      expectedVersion: t.int({ description: EXPECTED_VERSION_DESCRIPTION }),
    }),
  });
  const Payload = builder.objectRef<{ keyId: string }>(`${typeName}Payload`).implement({
    fields: (t) => ({
      keyId: t.id({
        description: 'The global id of the key acted on, for every caller, whatever it may read.',
        resolve: (payload) => encodeGlobalID('ApiKey', payload.keyId),
      }),
      apiKey: t.field({
        type: ApiKeyRef,
        nullable: true,
        description: `The key after the change. ${KEY_DETAILS_DESCRIPTION}`,
        resolve: (payload, _args, ctx) => loadKeyAfterWrite(ctx, payload.keyId),
      }),
    }),
  });
  builder.mutationField(field, (t) =>
    t.field({
      type: Payload,
      description,
      errors: { types: KEY_CHANGE_ERRORS, union: { name: `${typeName}Result` } },
      args: { input: t.arg({ type: Input, required: true }) },
      authScopes: permissionOnKey('keys:write', (args) => args.input.id),
      resolve: async (_root, { input }, ctx) => {
        const keyId = parseGlobalId(String(input.id), 'ApiKey', 'input.id');
        await loadVisibleKeyOrFail(ctx, keyId);
        await changeApiKey(commandContext(ctx), command, keyId, input);
        return { keyId };
      },
    }),
  );
}
