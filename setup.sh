#!/usr/bin/env bash
# Installs hybridnet's Debian dependencies (apt-get, as root), builds, and runs one step.
# Idempotent: packages already installed are skipped, and the build is incremental (ccache).
#   ./setup.sh build   install + build
#   ./setup.sh test    install + build + the whole test suite (what CI runs)
#   ./setup.sh run     install + build + the main job on the embedded defaults
set -euo pipefail
cd "$(dirname "$0")"
step=${1:-build}
case "$step" in build|test|run) ;; *) echo "usage: $0 [build|test|run]" >&2; exit 2 ;; esac

packages=(build-essential cmake ccache pkg-config zlib1g-dev
  libtorch-dev libopenblas0-openmp libopenblas-openmp-dev libeigen3-dev libtbb-dev libsqlitecpp-dev libsqlite3-dev
  nlohmann-json3-dev catch2 libcli11-dev libonnx-dev libpqxx-dev libturbojpeg0-dev libpng-dev
  dataset-fashion-mnist)
# The report test renders the HTML report in a real browser; the ONNX test runs exports in ONNX
# Runtime under Node.js (a machine that has node already keeps its own); the PostgreSQL store's
# tests start their own server (Debian's postgresql, as the postgres user), and the cluster test
# a one-node Slurm (slurm-wlm, munge).
if [[ $step == test ]]; then
  packages+=(chromium postgresql slurm-wlm munge)
  command -v node > /dev/null && command -v npm > /dev/null || packages+=(nodejs npm)
fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  if [[ $(id -u) -ne 0 ]]; then
    echo "setup.sh: missing Debian packages: ${missing[*]}; run as root or apt-get install them" >&2
    exit 1
  fi
  echo "setup.sh: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

export CCACHE_DIR=${CCACHE_DIR:-$HOME/.cache/ccache}
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release > build.log 2>&1 || { cat build.log; exit 1; }
cmake --build build -j2
rm -f build.log

case "$step" in
  test)
    # ONNX Runtime for the export test: npm's onnxruntime-node ships its CPU library; the flag
    # skips the GPU download its install script would otherwise try (and fail).
    if [[ ! -d tests/onnx/node_modules/onnxruntime-node ]]; then
      (cd tests/onnx && npm ci --onnxruntime-node-install-cuda=skip --no-audit --no-fund)
    fi
    ctest --test-dir build --output-on-failure -j2 --timeout 600 ;;
  run)
    # The main job: the quick-start sweep on Fashion-MNIST; prints the study's Pareto front.
    # Running it again resumes the study (Ctrl-C is safe).
    ./build/dse/hybridnet sweep --space examples/quickstart.json --db runs/quickstart.sqlite \
      --jobs 2 ;;
esac
