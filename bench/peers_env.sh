#!/usr/bin/env bash
# Creates the virtual environment in which bench/bo_peers.py runs SMAC3 and HEBO, the Bayesian
# optimisation peers of the GP quality benchmark (issue 18). The environment lives outside the
# repository, at ${HYPERDIAL_PEERS_VENV:-/work/venvs/peers}; running the script again does nothing
# once the environment holds exactly the pins below.
#
# Why a separate environment: HEBO 0.3.6 pins numpy<1.25 and pymoo==0.6.0, which have no wheels
# for this Python, so it is installed with --no-deps and its run-time needs are listed by hand.
# The packages the benchmark problems train (scipy, scikit-learn, lightgbm, xgboost-cpu) carry the
# main environment's versions, so a model-tuning objective returns the same number in both.
#
# Binary wheels only, except smac and pynisher, which are published as pure-Python sources.
# torch comes from PyTorch's CPU index (no CUDA wheels); if that index cannot be reached, the same
# version from the default index, refused if it would pull nvidia-* packages.
#
# Usage: bash bench/peers_env.sh        (HYPERDIAL_PEERS_PYTHON picks the interpreter)
set -euo pipefail

venv="${HYPERDIAL_PEERS_VENV:-/work/venvs/peers}"
base_python="${HYPERDIAL_PEERS_PYTHON:-python3.11}"

torch_pin="torch==2.13.0"
torch_index="https://download.pytorch.org/whl/cpu"
# Same versions as the main environment (python -m pip show ... there).
problem_pins=(numpy==2.4.6 scipy==1.17.1 scikit-learn==1.9.1 lightgbm==4.7.0 xgboost-cpu==3.2.0)
smac_pins=(smac==2.4.1)
# HEBO's imports, installed by hand because its own metadata cannot be met here.
hebo_needs=(pandas==3.1.1 pymoo==0.6.1.6 GPy==1.15.0 gpytorch==1.15.2 catboost==1.2.10
    disjoint-set==0.9.0)
hebo_pin="hebo==0.3.6"

stamp="$venv/hyperdial-peers.txt"
wanted="$(printf '%s\n' "$torch_pin" "${problem_pins[@]}" "${smac_pins[@]}" "${hebo_needs[@]}" \
    "$hebo_pin")"

if [[ -x "$venv/bin/python" && -f "$stamp" && "$(cat "$stamp")" == "$wanted" ]] \
    && "$venv/bin/python" -c "import smac, hebo" 2>/dev/null; then
    echo "peers venv up to date: $venv"
    exit 0
fi

if [[ ! -x "$venv/bin/python" ]]; then
    "$base_python" -m venv "$venv"
fi
pip=("$venv/bin/python" -m pip install --disable-pip-version-check --only-binary=:all:)

if ! "${pip[@]}" --index-url "$torch_index" "$torch_pin"; then
    echo "CPU index unreachable; trying $torch_pin from the default index" >&2
    if "$venv/bin/python" -m pip install --dry-run --only-binary=:all: "$torch_pin" 2>&1 \
        | grep -qi "nvidia"; then
        echo "refusing: the default index's $torch_pin pulls CUDA packages" >&2
        exit 1
    fi
    "${pip[@]}" "$torch_pin"
fi

"${pip[@]}" --no-binary=smac,pynisher "${problem_pins[@]}" "${smac_pins[@]}" "${hebo_needs[@]}" \
    "$torch_pin"
"${pip[@]}" --no-deps "$hebo_pin"

if "$venv/bin/python" -m pip list 2>/dev/null | grep -qi "^nvidia"; then
    echo "unexpected nvidia-* packages in $venv" >&2
    exit 1
fi
"$venv/bin/python" -c "import smac, hebo, torch; print('smac', smac.version, '| torch', torch.__version__)"
printf '%s\n' "$wanted" >"$stamp"
echo "peers venv ready: $venv"
