# Source me: puts the Node.js 24 and pnpm that scripts/setup.sh installed first on PATH.
export GANNET_TOOLS="${GANNET_TOOLS:-/opt/gannet-tools}"
case ":$PATH:" in *":$GANNET_TOOLS/bin:"*) ;; *) export PATH="$GANNET_TOOLS/bin:$PATH" ;; esac
