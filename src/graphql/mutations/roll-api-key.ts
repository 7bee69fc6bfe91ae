import { rollApiKey } from '../../commands/api-key-commands';
import { builder } from '../builder';
import { commandContext } from '../context';
import { encodeGlobalID, parseGlobalId } from '../global-id';
import { loadVisibleKeyOrFail, permissionOnKey } from '../key-access';
import { ApiKeyRef } from '../types/api-key';
import { KEY_CHANGE_ERRORS } from '../types/errors';
import { EXPECTED_VERSION_DESCRIPTION } from './change-api-key';
import { KEY_DETAILS_DESCRIPTION, loadKeyAfterWrite } from './load-key-after-write';

const RollApiKeyInput = builder.inputType('RollApiKeyInput', {
  fields: (t) => ({
    id: t.id({ required: true, description: 'The key to replace.' }),
    gracePeriodSeconds: t.int({
      required: true,
      description: 'How long the old key keeps verifying: 0 stops it at once, at most 2592000 (30 days).',
    }),
    expiresAt: t.field({ type: 'DateTime', description: 'The successor’s own expiry; omit for never.' }),
    reason: t.string({ description: 'Why; shown in the key’s history and the audit log. At most 500 characters.' }),
    expectedVersion: t.int({ description: EXPECTED_VERSION_DESCRIPTION }),
  }),
});

const RollApiKeyPayload = builder.objectRef<{ keyId: string; secret: string; previousKeyId: string }>('RollApiKeyPayload').implement({
  fields: (t) => ({
    keyId: t.id({
      description: 'The global id of the successor, for every caller, whatever it may read.',
      resolve: (payload) => encodeGlobalID('ApiKey', payload.keyId),
    }),
    apiKey: t.field({
      type: ApiKeyRef,
      nullable: true,
      description: `The successor. ${KEY_DETAILS_DESCRIPTION}`,
      resolve: (payload, _args, ctx) => loadKeyAfterWrite(ctx, payload.keyId),
    }),
    secret: t.exposeString('secret', { description: 'The successor’s full key. Shown this once: it is stored only as a hash.' }),
    previousKeyId: t.id({
      description: 'The global id of the rolled key, for every caller, whatever it may read.',
      resolve: (payload) => encodeGlobalID('ApiKey', payload.previousKeyId),
    }),
    previousKey: t.field({
      type: ApiKeyRef,
      nullable: true,
      description: `The rolled key, with rotatedTo and the expiresAt its grace period gave it. ${KEY_DETAILS_DESCRIPTION}`,
      resolve: (payload, _args, ctx) => loadKeyAfterWrite(ctx, payload.previousKeyId),
    }),
  }),
});

builder.mutationField('rollApiKey', (t) =>
  t.field({
    type: RollApiKeyPayload,
    description: 'Replaces a key by a successor with a new secret (same project, name and environment). The old key keeps verifying for the grace period, then answers EXPIRED.',
    errors: { types: KEY_CHANGE_ERRORS, union: { name: 'RollApiKeyResult' } },
    args: { input: t.arg({ type: RollApiKeyInput, required: true }) },
    authScopes: permissionOnKey('keys:write', (args) => args.input.id),
    resolve: async (_root, { input }, ctx) => {
      const keyId = parseGlobalId(String(input.id), 'ApiKey', 'input.id');
      await loadVisibleKeyOrFail(ctx, keyId);
      const successor = await rollApiKey(commandContext(ctx), keyId, input);
      return { ...successor, previousKeyId: keyId };
    },
  }),
);
