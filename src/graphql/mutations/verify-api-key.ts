import type { CachedKey } from '../../verification/key-cache';
import type { VerificationResult } from '../../verification/key-verifier';
import { builder } from '../builder';
import { encodeGlobalID } from '../global-id';
import { VerificationCodeEnum } from '../types/enums';

const VerifyApiKeyInput = builder.inputType('VerifyApiKeyInput', {
  fields: (t) => ({ secret: t.string({ required: true }) }),
});

/** What a gateway learns about a verified key: enough to route and attribute, no more. */
const VerifiedApiKey = builder.objectRef<CachedKey>('VerifiedApiKey').implement({
  fields: (t) => ({
    id: t.id({ resolve: (key) => encodeGlobalID('ApiKey', key.id) }),
    projectId: t.exposeString('projectId'),
    name: t.exposeString('name'),
    environment: t.exposeString('environment'),
    expiresAt: t.field({
      type: 'DateTime',
      nullable: true,
      description: 'When the key stops verifying (a rolled key: the end of its grace period), so callers can be warned in time.',
      resolve: (key) => (key.expiresAtMs === null ? null : new Date(key.expiresAtMs)),
    }),
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
    resolve: (_root, { input }, ctx) => ctx.verifier.verify(input.secret, ctx.principal),
  }),
);
