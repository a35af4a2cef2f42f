#!/usr/bin/env bash
# Regenerates the protobufjs static code in src/gen from proto/. The compiled binary never reads .proto
# files: everything it needs to encode and decode is in src/gen. CI runs this and fails on a diff.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=node_modules/.bin
protos=$(find proto -name '*.proto' | sort)
# shellcheck disable=SC2086
"$bin"/pbjs -t static-module -w es6 --es6 --no-verify --no-convert --no-delimited --no-typeurl \
  --no-comments -p proto -o src/gen/pb.js $protos
# pbts reads the JSDoc that --no-comments strips, so types come from a commented build.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# shellcheck disable=SC2086
"$bin"/pbjs -t static-module -w es6 --es6 --no-verify --no-convert --no-delimited --no-typeurl \
  -p proto -o "$tmp/pb.js" $protos
"$bin"/pbts --no-comments -o src/gen/pb.d.ts "$tmp/pb.js"
# Reflection needs the descriptors themselves: our protos plus the standard services we serve.
rel=$(cd proto && find . -name '*.proto' | sed 's|^\./||' | sort)
# shellcheck disable=SC2086
"$bin"/bun scripts/gen-descriptors.ts src/gen/descriptors.js $rel \
  health/v1/health.proto grpc/reflection/v1/reflection.proto grpc/reflection/v1alpha/reflection.proto
