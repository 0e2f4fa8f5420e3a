#!/bin/sh
# Adds the compose stack's S3-compatible store as the backend "s3" when this
# build of ipfs-kit has the s3 backend type (config keys backends.<name>.*);
# builds without it keep running on their other backends.
set -eu
[ -n "${S3_ENDPOINT:-}" ] || exit 0
if ! ipfs-kit config set backends.s3.type s3 > /dev/null 2>&1; then
  echo "20-s3-backend: this ipfs-kit has no s3 backend type yet; not configuring $S3_ENDPOINT" >&2
  exit 0
fi
ipfs-kit config set backends.s3.endpoint "$S3_ENDPOINT" > /dev/null
ipfs-kit config set backends.s3.bucket "${S3_BUCKET:-ipfs-kit}" > /dev/null
ipfs-kit config set backends.s3.access_key "$(cat "$S3_ACCESS_KEY_FILE")" > /dev/null
ipfs-kit config set backends.s3.secret_key "$(cat "$S3_SECRET_KEY_FILE")" > /dev/null
echo "20-s3-backend: backend s3 at $S3_ENDPOINT" >&2
