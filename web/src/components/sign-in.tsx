import { useEffect, useRef, useState } from 'preact/hooks';
import type { AppState, Store } from '../state/store';

export function SignIn({ store, state }: { store: Store; state: AppState }) {
  const [mode, setMode] = useState<'sign-in' | 'register'>('sign-in');
  const [userName, setUserName] = useState('');
  const [password, setPassword] = useState('');
  const [missing, setMissing] = useState<string | null>(null);
  const nameRef = useRef<HTMLInputElement>(null);
  const registering = mode === 'register';
  const error = missing ?? state.signInError;

  // `autofocus` only works once per page load; this screen also appears after signing out.
  useEffect(() => nameRef.current?.focus(), []);

  // Validated here rather than by the browser, so the message is part of the page for screen readers.
  const submit = (event: Event) => {
    event.preventDefault();
    if (state.signInBusy) return;
    const blank = !userName.trim() ? 'Enter a user name.' : !password ? 'Enter a password.' : null;
    setMissing(blank);
    if (blank) return;
    void (registering ? store.register(userName, password) : store.signIn(userName, password));
  };

  const switchMode = () => {
    setMode(registering ? 'sign-in' : 'register');
    setMissing(null);
    nameRef.current?.focus();
  };

  return (
    <main class="page">
      <section class="auth" aria-labelledby="auth-title">
        <h1 class="brand">todos</h1>
        <form class="auth-form" onSubmit={submit} noValidate>
          <h2 id="auth-title">{registering ? 'Create an account' : 'Sign in'}</h2>
          {error && (
            <p class="form-error" role="alert" id="auth-error">
              {error}
            </p>
          )}
          <label for="user-name">User name</label>
          <input
            id="user-name"
            ref={nameRef}
            name="userName"
            autoComplete="username"
            autoCapitalize="none"
            spellcheck={false}
            required
            aria-invalid={error ? true : undefined}
            aria-describedby={error ? 'auth-error' : undefined}
            maxLength={64}
            value={userName}
            onInput={(e) => setUserName(e.currentTarget.value)}
          />
          <label for="password">Password</label>
          <input
            id="password"
            name="password"
            type="password"
            autoComplete={registering ? 'new-password' : 'current-password'}
            required
            value={password}
            onInput={(e) => setPassword(e.currentTarget.value)}
          />
          <button type="submit" class="primary" disabled={state.signInBusy} aria-busy={state.signInBusy}>
            {state.signInBusy ? 'Please wait…' : registering ? 'Create account' : 'Sign in'}
          </button>
        </form>
        <p class="auth-switch">
          {registering ? 'Already have an account?' : 'New here?'}{' '}
          <button type="button" class="link" onClick={switchMode}>
            {registering ? 'Sign in' : 'Create an account'}
          </button>
        </p>
      </section>
    </main>
  );
}
