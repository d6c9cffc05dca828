#!/usr/bin/env bash
# Vendors the console's browser libraries from npm: the packages' own
# prebuilt browser files, under versioned directories (served with a year of
# caching), and points index.html's import map and stylesheet at them.
#   api/console/update-vendor.sh 3.5.45 2.14.8 6.1.0   # vue element-plus echarts
# Needs npm only here, never at run time. Review the diff, run the tests.
set -euo pipefail
cd "$(dirname "$0")/vendor"
vue="${1:?vue version}" ep="${2:?element-plus version}" ec="${3:?echarts version}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "vue@$vue" "element-plus@$ep" "echarts@$ec" >/dev/null)
unpack() { mkdir -p "$tmp/$1" && tar xzf "$tmp"/$2 -C "$tmp/$1"; }
unpack vue "vue-$vue.tgz"
unpack ep "element-plus-$ep.tgz"
unpack ec "echarts-$ec.tgz"

rm -rf vue@* element-plus@* echarts@*
mkdir -p "vue@$vue" "element-plus@$ep/locale" "echarts@$ec"
cp "$tmp/vue/package/dist/vue.runtime.esm-browser.prod.js" "$tmp/vue/package/LICENSE" "vue@$vue/"
cp "$tmp/ep/package/dist/index.full.min.mjs" "$tmp/ep/package/dist/index.css" "$tmp/ep/package/LICENSE" "element-plus@$ep/"
cp "$tmp/ep/package/dist/locale/zh-cn.min.mjs" "element-plus@$ep/locale/"
cp "$tmp/ec/package/dist/echarts.esm.min.mjs" "$tmp/ec/package/LICENSE" "echarts@$ec/"

sed -i -E \
  -e "s#/vue@[^/]+/#/vue@$vue/#g" \
  -e "s#/element-plus@[^/]+/#/element-plus@$ep/#g" \
  -e "s#/echarts@[^/]+/#/echarts@$ec/#g" \
  ../index.html
sha256sum vue@*/* element-plus@*/*.* element-plus@*/locale/* echarts@*/*
echo "vendored vue $vue, element-plus $ep, echarts $ec; update the versions in README.md"
