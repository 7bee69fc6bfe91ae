import { verifyApiKey, type VerificationResult } from '../../commands/verify-api-key';
import type { ApiKeyRow } from '../../queries/api-key-queries';
import { hasPermission } from '../../auth/principal';
import { builder } from '../builder';
import { commandContext } from '../context';
import { encodeGlobalID } from '../global-id';
import { VerificationCodeEnum } from '../types/enums';

const VerifyApiKeyInput = builder.inputType('VerifyApiKeyInput', {
  fields: (t) => ({ secret: t.string({ required: true }) }),
});

/** What a gateway learns about a verified key: enough to route and attribute, no more. */
const VerifiedApiKey = builder.objectRef<ApiKeyRow>('VerifiedApiKey').implement({
  fields: (t) => ({
    id: t.id({ resolve: (key) => encodeGlobalID('ApiKey', key.id) }),
    projectId: t.exposeString('project_id'),
    name: t.exposeString('name'),
    environment: t.exposeString('environment'),
  }),
});

const VerifyApiKeyPayload = builder.objectRef<VerificationResult>('VerifyApiKeyPayload').implement({
  fields: (t) => ({
    valid: t.exposeBoolean('valid'),
    code: t.field({ type: VerificationCodeEnum, resolve: (result) => result.code }),
    key: t.field({ type: VerifiedApiKey, nullable: true, resolve: (result) => result.key }),
  }),
});

builder.mutationField('verifyApiKey', (t) =>
  t.field({
    type: VerifyApiKeyPayload,
    description: 'Is this secret a usable key? Records the use. Never an error for a bad secret: the code says why.',
    args: { input: t.arg({ type: VerifyApiKeyInput, required: true }) },
    authScopes: { verifier: true },
    resolve: (_root, { input }, ctx) =>
      verifyApiKey(commandContext(ctx), input.secret, (projectId) => hasPermission(ctx.principal, projectId, 'keys:verify')),
  }),
);
