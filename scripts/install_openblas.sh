#!/usr/bin/env bash
# Optional speed-up on Linux: MLX's CPU wheel bundles the slow reference BLAS; askbuddyx
# preloads Debian's OpenBLAS when present (askbuddyx/accel.py). Installs it when we can
# (Debian/Ubuntu, root, package registry reachable); otherwise says so and carries on.
set -u
[ "$(uname -s)" = "Linux" ] || exit 0
for lib in /usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblas.so.0 \
           /usr/lib/aarch64-linux-gnu/openblas-pthread/libopenblas.so.0; do
  [ -f "$lib" ] && exit 0
done
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
  echo "Installing OpenBLAS (libopenblas0-pthread) for faster MLX on CPU ..."
  (apt-get install -y -qq libopenblas0-pthread >/dev/null 2>&1 ||
   (apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq libopenblas0-pthread >/dev/null 2>&1)) &&
   exit 0
fi
echo "note: OpenBLAS not installed; MLX on CPU will use its bundled reference BLAS (slower," \
     "and adapter bytes will differ from the committed dvc.lock)."
exit 0
