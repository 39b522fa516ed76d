#!/bin/sh
# Runs nginx + nchan in the foreground on 127.0.0.1:PORT with a private prefix directory.
# usage: bench/peers/nchan.sh PORT [PREFIX]
set -eu
port=${1:?usage: nchan.sh PORT [PREFIX]}
prefix=${2:-/tmp/switchboard-bench-nchan-$port}
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$prefix"
# nginx resolves -c and its log paths against -p, so the prefix must be absolute.
prefix=$(cd "$prefix" && pwd)
sed -e "s|@PORT@|$port|g" -e "s|@PREFIX@|$prefix|g" "$here/nchan.conf.template" >"$prefix/nginx.conf"
exec nginx -p "$prefix" -c "$prefix/nginx.conf" -e "$prefix/error.log"
