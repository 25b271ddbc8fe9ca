#!/usr/bin/env bash
# Starts bertserving-start in a container: the model mounted at /model when there is one (else the built-in model),
# NUM_WORKER workers, the HTTP front on HTTP_PORT (its /ready route is the HEALTHCHECK), and any flags given after the
# image name. A flag given there replaces the default for it (the server refuses a flag given twice).
set -euo pipefail

app="${BERTSERVING_APP:-/app}"
model="${MODEL_DIR:-/model}"
given() { # is flag $1 among the user's arguments (as -flag, --flag, -flag=v or --flag=v)?
    local flag="$1" arg
    for arg in "${user[@]}"; do
        case "$arg" in "-$flag" | "--$flag" | "-$flag="* | "--$flag="*) return 0 ;; esac
    done
    return 1
}
user=("$@")
args=()
given num_worker || args+=(-num_worker "${NUM_WORKER:-1}")
given http_port || args+=(-http_port "${HTTP_PORT:-8125}")
if ! given model_dir && [ -d "$model" ] && [ -n "$(ls -A "$model" 2>/dev/null)" ]; then
    args+=(-model_dir "$model")
fi
args+=("$@")

# The GPU image is self-contained and names its apphost; the CPU image runs the dll on the shared runtime.
if [ -n "${BERTSERVING_APPHOST:-}" ]; then
    command=("$BERTSERVING_APPHOST")
else
    command=(dotnet "$app/bertserving-start.dll")
fi
if [ "${BERTSERVING_DRY_RUN:-}" = "1" ]; then
    printf '%s\n' "${command[*]} ${args[*]}"
    exit 0
fi
exec "${command[@]}" "${args[@]}"
