import type { DescribeClustersRequest, DescribeClustersResponse } from '../../generated/cloudhsmv2.js';
import { CloudHsmInvalidRequestException } from '../../generated/cloudhsmv2.js';
import { clusterTable } from '../rows.js';
import type { ClusterRow } from '../rows.js';
import type { CloudHsmHandler } from '../context.js';
import { clusterView, purgeTime, settleCluster } from '../clusters.js';
import { paginate } from '../pagination.js';

const FILTERS: Record<string, (c: ClusterRow, values: string[]) => boolean> = {
  clusterIds: (c, v) => v.includes(c.ClusterId),
  vpcIds: (c, v) => v.includes(c.VpcId),
  states: (c, v) => v.includes(c.State),
};

/** DescribeClusters: filters clusterIds / vpcIds / states, 1–25 per page (default 25). */
export const describeClusters: CloudHsmHandler<DescribeClustersRequest, DescribeClustersResponse> = async (input, ctx) => {
  const filters = Object.entries(input.Filters ?? {});
  for (const [name] of filters) {
    if (!FILTERS[name])
      throw new CloudHsmInvalidRequestException(`Invalid filter ${name}. Valid filters: ${Object.keys(FILTERS).join(', ')}.`);
  }
  const now = ctx.now.getTime();
  // A DELETED cluster is listed until its purge time, even if the sweeper has not run yet.
  const all = (await clusterTable(ctx.deps.store).list(ctx.scope, { limit: 1_000_000 })).items
    .map((c) => settleCluster(c, now))
    .filter((c) => (purgeTime(c) ?? Infinity) > now);
  const matching = all.filter((c) => filters.every(([name, values]) => FILTERS[name](c, values)));
  const { page, next } = paginate(matching, 'clusters', input.MaxResults, 25, input.NextToken);
  return { Clusters: page.map(clusterView), ...(next ? { NextToken: next } : {}) };
};
