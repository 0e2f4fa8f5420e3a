#!/bin/sh
# Adds the compose stack's S3-compatible store (MinIO) as the backend "s3"
# (config keys backends.<name>.*; MinIO is addressed path-style).
set -eu
[ -n "${S3_ENDPOINT:-}" ] || exit 0
ipfs-kit config set backends.s3.type s3 > /dev/null
ipfs-kit config set backends.s3.endpoint "$S3_ENDPOINT" > /dev/null
ipfs-kit config set backends.s3.bucket "${S3_BUCKET:-ipfs-kit}" > /dev/null
ipfs-kit config set backends.s3.path_style true > /dev/null
ipfs-kit config set backends.s3.access_key "$(cat "$S3_ACCESS_KEY_FILE")" > /dev/null
ipfs-kit config set backends.s3.secret_key "$(cat "$S3_SECRET_KEY_FILE")" > /dev/null
echo "20-s3-backend: backend s3 at $S3_ENDPOINT" >&2
