#!/usr/bin/env bash
# The whole test suite, from a fresh machine with only Node 20: installs what the tests
# need (Debian's awscli, openssl, chromium, certutil, script, unshare, postgresql, softhsm2 and the
# toolchain that builds pkcs11js; the npm dependencies), then runs the format
# check, the linter, tsc --strict, the generated-code check and every test.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
[ -x /usr/bin/aws ] || need+=(awscli)
command -v openssl > /dev/null || need+=(openssl)
[ -x /usr/bin/chromium ] || need+=(chromium)
command -v certutil > /dev/null || need+=(libnss3-tools)
command -v script > /dev/null || need+=(bsdutils)
command -v unshare > /dev/null || need+=(util-linux)
# The store tests start throwaway PostgreSQL 15 servers of their own (test/helpers/postgres.ts).
[ -x /usr/lib/postgresql/15/bin/initdb ] || need+=(postgresql)
# The PKCS#11 and XKS proxy tests use SoftHSM2 tokens made in temporary directories.
[ -e /usr/lib/softhsm/libsofthsm2.so ] || need+=(softhsm2)
# pkcs11js is a native addon that npm ci builds with node-gyp.
command -v make > /dev/null || need+=(make)
command -v g++ > /dev/null || need+=(g++)
command -v python3 > /dev/null || need+=(python3)
if [ ${#need[@]} -gt 0 ]; then
  echo "Installing Debian packages: ${need[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}"
fi

npm ci --no-audit --no-fund
npm run format:check
npm run lint
npm run typecheck
npx vitest run
