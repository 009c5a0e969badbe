/**
 * The AWS Regions kmsd serves: the commercial, China and GovCloud Regions as of 2025. Every row
 * is stored under an account and a Region, so accepting any string a client signs with would let
 * one tenant multiply its per-Region quotas without limit (issue 14); like AWS, a request
 * scoped to a Region that does not exist is refused.
 */
const REGIONS: ReadonlySet<string> = new Set([
  'af-south-1',
  'ap-east-1',
  'ap-east-2',
  'ap-northeast-1',
  'ap-northeast-2',
  'ap-northeast-3',
  'ap-south-1',
  'ap-south-2',
  'ap-southeast-1',
  'ap-southeast-2',
  'ap-southeast-3',
  'ap-southeast-4',
  'ap-southeast-5',
  'ap-southeast-7',
  'ca-central-1',
  'ca-west-1',
  'eu-central-1',
  'eu-central-2',
  'eu-north-1',
  'eu-south-1',
  'eu-south-2',
  'eu-west-1',
  'eu-west-2',
  'eu-west-3',
  'il-central-1',
  'me-central-1',
  'me-south-1',
  'mx-central-1',
  'sa-east-1',
  'us-east-1',
  'us-east-2',
  'us-west-1',
  'us-west-2',
  'cn-north-1',
  'cn-northwest-1',
  'us-gov-east-1',
  'us-gov-west-1',
]);

export function isKnownRegion(region: string): boolean {
  return REGIONS.has(region);
}

/** How many Regions one account can have resources in. */
export const KNOWN_REGION_COUNT = REGIONS.size;
