# Sourced by ops/cistern and ops/test: sets JAVA_HOME to a JDK 21 or newer.
# Order: $JAVA_HOME if it is 21+, then the newest JDK 21+ under /usr/lib/jvm, then the java on PATH if it is 21+.
java_major() { # JDK dir -> major version, or 0
  local rel="$1/release" v
  if [ -f "$rel" ]; then
    v=$(sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$rel")
  elif [ -x "$1/bin/java" ]; then
    v=$("$1/bin/java" -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -1)
  fi
  echo "${v:-0}"
}
pick_java_home() {
  if [ -n "${JAVA_HOME:-}" ] && [ "$(java_major "$JAVA_HOME")" -ge 21 ] && [ -x "$JAVA_HOME/bin/javac" ]; then
    return 0
  fi
  local best="" best_v=0 d v
  for d in /usr/lib/jvm/*/; do
    d="${d%/}"
    [ -x "$d/bin/javac" ] || continue
    v=$(java_major "$d")
    if [ "$v" -ge 21 ] && [ "$v" -gt "$best_v" ]; then best="$d"; best_v="$v"; fi
  done
  if [ -z "$best" ] && command -v javac >/dev/null 2>&1; then
    d=$(dirname "$(dirname "$(readlink -f "$(command -v javac)")")")
    [ "$(java_major "$d")" -ge 21 ] && best="$d"
  fi
  if [ -z "$best" ]; then
    cat >&2 <<'MSG'
Cistern needs a JDK 21 or newer, and none was found (JAVA_HOME, /usr/lib/jvm, PATH). Nothing was installed.
  Debian 13, Ubuntu 24.04+:    sudo apt-get install openjdk-21-jdk-headless
  Debian 12 (only OpenJDK 17): Eclipse Temurin's apt repository (temurin-21-jdk), or SDKMAN (sdk install java 21-tem)
  Fedora, RHEL 9:              sudo dnf install java-21-openjdk-devel
  macOS:                       brew install openjdk@21
  Any system:                  unpack a JDK 21+ and set JAVA_HOME to it
MSG
    return 1
  fi
  export JAVA_HOME="$best"
}
