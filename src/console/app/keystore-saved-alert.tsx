/** What the edit forms of both custom key store types say after Save, with Connect at hand. */
import { SuccessAlert } from './ui';

export function KeyStoreSavedAlert(props: {
  storeName: string;
  edited: string[];
  connected: boolean;
  busy: boolean;
  onConnect: () => void;
}) {
  if (props.edited.length === 0) return <SuccessAlert>Nothing to save: no setting was changed.</SuccessAlert>;
  return (
    <SuccessAlert>
      <p>
        Saved. You edited the {props.edited.join(', the ')} of {props.storeName}.
      </p>
      {!props.connected && (
        <p>
          Reminder: the key store is not connected. Connect it again to use its KMS keys.{' '}
          <button type="button" onClick={props.onConnect} disabled={props.busy}>
            Connect custom key store
          </button>
        </p>
      )}
    </SuccessAlert>
  );
}
