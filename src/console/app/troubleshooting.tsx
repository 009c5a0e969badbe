/** Explains every custom key store error and every connection error code, one anchor each. */
import { useEffect } from 'react';
import { CONNECTION_HELP, ERROR_HELP } from './help';
import type { HelpEntry } from './help';

function Entries(props: { entries: HelpEntry[] }) {
  return (
    <dl className="help">
      {props.entries.map((e) => (
        <div key={e.id} id={e.id} className="help-entry">
          <dt>
            {e.title} {e.title !== e.id && <code>{e.id}</code>}
          </dt>
          <dd>
            <p>{e.problem}</p>
            <p>
              <strong>Fix:</strong> {e.fix}
            </p>
          </dd>
        </div>
      ))}
    </dl>
  );
}

export function TroubleshootingPage() {
  useEffect(() => {
    const id = window.location.hash.slice(1);
    if (id) document.getElementById(id)?.scrollIntoView();
  }, []);
  return (
    <section aria-labelledby="ts-title">
      <h1 id="ts-title">Troubleshooting custom key stores</h1>
      <p>
        A connection attempt runs in the background. When it fails the key store shows the status FAILED and a connection error code. A
        FAILED key store cannot be connected again directly: disconnect it, fix the cause (and update its settings if needed), then connect.
      </p>
      <h2>Errors of custom key store operations</h2>
      <Entries entries={ERROR_HELP} />
      <h2>Connection error codes</h2>
      <Entries entries={CONNECTION_HELP} />
    </section>
  );
}
