/** The console shell: sign-in, the top bar with the Region selector, navigation, pages. */
import { useEffect, useState } from 'react';
import type { FormEvent } from 'react';
import { currentSession, signIn, signOut } from './api';
import type { Session } from './api';
import { ClustersPage } from './clusters';
import { KeysPage } from './keys';
import { KeyStoresPage } from './keystores';
import { TroubleshootingPage } from './troubleshooting';
import { ErrorAlert, Link, navigate, Progress, usePath } from './ui';

export const REGIONS = [
  'us-east-1',
  'us-east-2',
  'us-west-1',
  'us-west-2',
  'ca-central-1',
  'eu-west-1',
  'eu-west-2',
  'eu-central-1',
  'eu-north-1',
  'ap-south-1',
  'ap-southeast-1',
  'ap-southeast-2',
  'ap-northeast-1',
  'sa-east-1',
];

export function App() {
  const [session, setSession] = useState<Session | undefined>(undefined);
  const [checking, setChecking] = useState(true);
  const [error, setError] = useState<unknown>(undefined);
  useEffect(() => {
    currentSession().then(
      (s) => {
        setSession(s);
        setChecking(false);
      },
      (e: unknown) => {
        setError(e);
        setChecking(false);
      },
    );
  }, []);
  if (checking) return <Progress label="Loading the console…" />;
  if (!session) return <SignIn onSignedIn={setSession} initialError={error} />;
  return <Shell session={session} onSignedOut={() => setSession(undefined)} />;
}

function SignIn(props: { onSignedIn: (s: Session) => void; initialError: unknown }) {
  const [accessKeyId, setAccessKeyId] = useState('');
  const [secret, setSecret] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(props.initialError);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const s = await signIn(accessKeyId, secret);
      setSecret('');
      props.onSignedIn(s);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <main className="signin">
      <form onSubmit={submit} aria-labelledby="signin-title">
        <h1 id="signin-title">Sign in to kmsd</h1>
        <p className="muted">Use an access key of an account from the kmsd configuration.</p>
        <label>
          Access key ID
          <input value={accessKeyId} onChange={(e) => setAccessKeyId(e.target.value)} autoComplete="username" required />
        </label>
        <label>
          Secret access key
          <input type="password" value={secret} onChange={(e) => setSecret(e.target.value)} autoComplete="current-password" required />
        </label>
        {error !== undefined && <ErrorAlert error={error} title="Sign-in failed" />}
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}

const NAV = [
  { to: '/keys', label: 'Customer managed keys' },
  { to: '/keystores', label: 'Custom key stores' },
  { to: '/clusters', label: 'AWS CloudHSM clusters' },
  { to: '/troubleshooting', label: 'Troubleshooting' },
];

function Shell(props: { session: Session; onSignedOut: () => void }) {
  const path = usePath();
  const [region, setRegion] = useState(() => {
    const saved = window.localStorage.getItem('kmsd.region');
    return saved && REGIONS.includes(saved) ? saved : 'us-east-1';
  });
  const [error, setError] = useState<unknown>(undefined);
  useEffect(() => {
    if (path === '/' || path === '') navigate('/keys');
  }, [path]);
  const chooseRegion = (r: string) => {
    // Only the Region choice is remembered; nothing secret ever goes into browser storage.
    window.localStorage.setItem('kmsd.region', r);
    setRegion(r);
  };
  const doSignOut = async () => {
    try {
      await signOut();
      props.onSignedOut();
    } catch (e) {
      setError(e);
    }
  };
  return (
    <div className="shell">
      <header className="topbar">
        <span className="brand">kmsd console</span>
        <div className="topbar-right">
          <span className="account" aria-label="Signed-in account" title={`Access key ${props.session.accessKeyId}`}>
            {props.session.principalArn}
          </span>
          <label className="region">
            Region
            <select value={region} onChange={(e) => chooseRegion(e.target.value)}>
              {REGIONS.map((r) => (
                <option key={r} value={r}>
                  {r}
                </option>
              ))}
            </select>
          </label>
          <button type="button" onClick={doSignOut}>
            Sign out
          </button>
        </div>
      </header>
      <div className="body">
        <nav aria-label="Console navigation" className="sidenav">
          <ul>
            {NAV.map((n) => (
              <li key={n.to}>
                <Link to={n.to} current={path === n.to || path.startsWith(`${n.to}/`)}>
                  {n.label}
                </Link>
              </li>
            ))}
          </ul>
        </nav>
        <main className="content">
          {error !== undefined && <ErrorAlert error={error} title="Sign-out failed" />}
          <Page path={path} region={region} />
        </main>
      </div>
    </div>
  );
}

function Page(props: { path: string; region: string }) {
  const [, section, ...rest] = props.path.split('/');
  switch (section) {
    case 'keys':
      return <KeysPage key={props.region} region={props.region} rest={rest} />;
    case 'keystores':
      return <KeyStoresPage key={props.region} region={props.region} rest={rest} />;
    case 'clusters':
      return <ClustersPage key={props.region} region={props.region} />;
    case 'troubleshooting':
      return <TroubleshootingPage />;
    default:
      return <p>Choose a page in the navigation.</p>;
  }
}
