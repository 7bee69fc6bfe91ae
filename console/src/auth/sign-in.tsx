import { useState } from 'react';

/** Asks for a bearer token (the platform's, or one from npm run token). */
export function SignIn({ notice, onSignIn }: { notice?: string | null; onSignIn(token: string): void }) {
  const [token, setToken] = useState('');
  return (
    <main className="sign-in" id="main">
      <h1 tabIndex={-1}>Sign in</h1>
      <p>
        Paste a bearer token for this service. It stays in this browser tab only (session storage) and is sent to this service alone. Operators make one with{' '}
        <code>npm run token</code>.
      </p>
      {notice && (
        <p className="notice" role="alert">
          {notice}
        </p>
      )}
      <form
        onSubmit={(event) => {
          event.preventDefault();
          const value = token.trim().replace(/^Bearer\s+/i, '');
          if (value) onSignIn(value);
        }}
      >
        <div className="field">
          <label htmlFor="token">Bearer token</label>
          <input id="token" type="password" autoComplete="off" spellCheck={false} value={token} onChange={(event) => setToken(event.target.value)} required />
        </div>
        <button type="submit" className="primary">
          Sign in
        </button>
      </form>
    </main>
  );
}
