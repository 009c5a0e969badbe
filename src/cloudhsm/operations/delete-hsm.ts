import type { DeleteHsmRequest, DeleteHsmResponse } from '../../generated/cloudhsmv2.js';
import { CloudHsmInvalidRequestException, CloudHsmResourceNotFoundException } from '../../generated/cloudhsmv2.js';
import type { CloudHsmHandler } from '../context.js';
import { BACKED_UP_STATES, findCluster, hsmTransitionEnd, saveCluster } from '../clusters.js';
import { takeBackup } from '../backups.js';

/**
 * DeleteHsm: by HsmId, EniId or EniIp (one is needed). Removing an HSM from an initialized
 * cluster takes a backup first, so the last HSM's contents are never lost.
 */
export const deleteHsm: CloudHsmHandler<DeleteHsmRequest, DeleteHsmResponse> = async (input, ctx) =>
  ctx.deps.store.transaction(async () => {
    const row = await findCluster(ctx, input.ClusterId);
    if (input.HsmId === undefined && input.EniId === undefined && input.EniIp === undefined) {
      throw new CloudHsmInvalidRequestException('Specify the HSM to delete with HsmId, EniId or EniIp.');
    }
    const hsm = row.Hsms.find(
      (h) =>
        (input.HsmId === undefined || h.HsmId === input.HsmId) &&
        (input.EniId === undefined || h.EniId === input.EniId) &&
        (input.EniIp === undefined || h.EniIp === input.EniIp),
    );
    const which = input.HsmId ?? input.EniId ?? input.EniIp;
    if (!hsm) throw new CloudHsmResourceNotFoundException(`HSM ${which} not found in cluster ${row.ClusterId}.`);
    if (hsm.State === 'DELETE_IN_PROGRESS') throw new CloudHsmInvalidRequestException(`HSM ${hsm.HsmId} is already being deleted.`);
    if (BACKED_UP_STATES.includes(row.State) && row.Hsms.some((h) => h.State === 'ACTIVE')) await takeBackup(ctx, row);
    const end = hsmTransitionEnd(ctx);
    row.Hsms =
      end === undefined
        ? row.Hsms.filter((h) => h !== hsm)
        : row.Hsms.map((h) => (h === hsm ? { ...h, State: 'DELETE_IN_PROGRESS', transitionEndsAt: end } : h));
    await saveCluster(ctx, row);
    return { HsmId: hsm.HsmId };
  });
