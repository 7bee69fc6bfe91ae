import { describe, expect, it } from 'vitest';
import { createAuthenticator } from '../../src/auth/authenticate';
import { signToken } from '../../src/auth/sign-token';
import { createMonotonicClock } from '../../src/domain/monotonic-clock';

// A token that has expired stays expired when the machine's clock steps back,
// whether it is still in the authenticator's cache or verified afresh.

const SECRET = 'token-clock-secret-of-at-least-32-characters';

describe('token expiry and a clock that steps back', () => {
  it('keeps refusing an expired token after the wall clock goes back an hour', async () => {
    let wall = Date.now();
    const authenticate = createAuthenticator(
      { jwtSecret: SECRET },
      createMonotonicClock(() => wall),
    );
    const token = await signToken(SECRET, { sub: 'a', perms: { p: ['keys:read'] }, expiresIn: 600 });
    const header = `Bearer ${token}`;
    await expect(authenticate(header)).resolves.toMatchObject({ subject: 'a' });
    wall += 3600_000;
    expect(authenticate.cached(header)).toBeUndefined();
    await expect(authenticate(header)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    wall -= 3600_000; // back to when the token was valid
    expect(authenticate.cached(header)).toBeUndefined();
    await expect(authenticate(header)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
  });
});
