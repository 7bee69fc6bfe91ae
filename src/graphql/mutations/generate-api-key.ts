import { generateApiKey } from '../../commands/api-key-commands';
import { ValidationError } from '../../domain/errors';
import { builder } from '../builder';
import { commandContext } from '../context';
import { encodeGlobalID } from '../global-id';
import { ApiKeyRef } from '../types/api-key';
import { KEY_DETAILS_DESCRIPTION, loadKeyAfterWrite } from './load-key-after-write';

const GenerateApiKeyInput = builder.inputType('GenerateApiKeyInput', {
  fields: (t) => ({
    projectId: t.string({ required: true }),
    name: t.string({ required: true, description: '1-100 characters after trimming; no control characters.' }),
    environment: t.string({ required: true, description: '2-16 lowercase letters or digits, starting with a letter: live, test, staging…' }),
    expiresAt: t.field({ type: 'DateTime', description: 'When the key stops verifying: in the future, within 10 years. Omit for never.' }),
  }),
});

const GenerateApiKeyPayload = builder.objectRef<{ keyId: string; secret: string }>('GenerateApiKeyPayload').implement({
  fields: (t) => ({
    keyId: t.id({
      description: 'The global id of the new key, for every caller, whatever it may read.',
      resolve: (payload) => encodeGlobalID('ApiKey', payload.keyId),
    }),
    apiKey: t.field({
      type: ApiKeyRef,
      nullable: true,
      description: `The new key. ${KEY_DETAILS_DESCRIPTION}`,
      resolve: (payload, _args, ctx) => loadKeyAfterWrite(ctx, payload.keyId),
    }),
    secret: t.exposeString('secret', { description: 'The full key. Shown this once: it is stored only as a hash.' }),
  }),
});

builder.mutationField('generateApiKey', (t) =>
  t.field({
    type: GenerateApiKeyPayload,
    errors: { types: [ValidationError], union: { name: 'GenerateApiKeyResult' } },
    authScopes: (_root, { input }) => ({ permission: { projectId: input.projectId, permission: 'keys:write' } }),
    args: { input: t.arg({ type: GenerateApiKeyInput, required: true }) },
    resolve: (_root, { input }, ctx) => generateApiKey(commandContext(ctx), input),
  }),
);
