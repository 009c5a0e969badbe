import type { CreateCustomKeyStoreRequest, CreateCustomKeyStoreResponse } from '../../generated/kms.js';
import { CustomKeyStoreNameInUseException, LimitExceededException } from '../../generated/kms.js';
import { createExternalKeyStore } from '../xks-key-stores.js';
import { validationError } from '../../core/validation-error.js';
import type { KmsHandler } from '../context.js';
import { resourceQuotas } from '../quotas.js';
import {
  allStores,
  cloudHsm,
  newCustomKeyStoreId,
  passwordsEqual,
  rejectExternalStoreMembers,
  saveCustomKeyStore,
} from '../custom-key-stores.js';
import {
  assertClusterActive,
  assertClusterConfiguration,
  assertClusterUnused,
  assertTrustAnchor,
  requireCluster,
} from '../cloudhsm-cluster-rules.js';
import type { CustomKeyStoreRow } from '../custom-key-stores.js';

/**
 * CreateCustomKeyStore (AWS_CLOUDHSM; EXTERNAL_KEY_STORE is in xks-key-stores.ts). Checks in the order custom-key-stores.md §5
 * recommends: fields -> name in use -> quota -> cluster exists -> active -> in use ->
 * configuration -> trust anchor. No login happens here (a wrong password would count toward
 * the HSM lockout); the password is checked at connect time, as AWS does.
 */
export const createCustomKeyStore: KmsHandler<CreateCustomKeyStoreRequest, CreateCustomKeyStoreResponse> = async (input, ctx) => {
  if (input.CustomKeyStoreType === 'EXTERNAL_KEY_STORE') return createExternalKeyStore(input, ctx);
  rejectExternalStoreMembers(input);
  const clusterId = required(input.CloudHsmClusterId, 'cloudHsmClusterId');
  const trustAnchor = required(input.TrustAnchorCertificate, 'trustAnchorCertificate');
  if (input.KeyStorePassword === undefined) throw validationError('keyStorePassword', null, 'Member must not be null');
  const password = input.KeyStorePassword;
  const backend = cloudHsm(ctx);

  return ctx.deps.store.transaction(async () => {
    const stores = await allStores(ctx.deps.store, ctx.scope);
    // create-keystore.md: a retry with exactly the same properties as an existing
    // disconnected store creates nothing and returns that store's id.
    const same = stores.find(
      (s) =>
        s.name === input.CustomKeyStoreName &&
        s.clusterId === clusterId &&
        s.trustAnchorCertificate === trustAnchor &&
        s.connectionState === 'DISCONNECTED' &&
        passwordsEqual(backend.unwrapPassword(ctx.scope, s.id, s.passwordWrapped), password),
    );
    if (same) return { CustomKeyStoreId: same.id };
    if (stores.some((s) => s.name === input.CustomKeyStoreName)) {
      throw new CustomKeyStoreNameInUseException(`Custom key store name ${input.CustomKeyStoreName} is already in use.`);
    }
    const { customKeyStoresPerRegion } = resourceQuotas(ctx);
    if (stores.length >= customKeyStoresPerRegion) {
      throw new LimitExceededException(
        `Cannot create the custom key store: the account already has the maximum of ${customKeyStoresPerRegion} custom key stores in this Region.`,
      );
    }
    const view = await requireCluster(ctx, clusterId);
    assertClusterActive(view);
    assertClusterUnused(view, stores);
    assertClusterConfiguration(view);
    assertTrustAnchor(view, trustAnchor);

    const id = newCustomKeyStoreId();
    const row: CustomKeyStoreRow = {
      id,
      name: input.CustomKeyStoreName,
      type: 'AWS_CLOUDHSM',
      clusterId,
      trustAnchorCertificate: trustAnchor,
      clusterCertificate: view.clusterCertificate ?? '',
      connectionState: 'DISCONNECTED',
      creationDate: ctx.now.getTime(),
      passwordWrapped: backend.wrapPassword(ctx.scope, id, password),
      attempt: 0,
    };
    await saveCustomKeyStore(ctx, row);
    return { CustomKeyStoreId: id };
  });
};

/** Members the model leaves optional but an AWS_CLOUDHSM store needs (§15.3: ValidationException). */
function required(value: string | undefined, path: string): string {
  if (value === undefined) throw validationError(path, null, 'Member must not be null');
  return value;
}
