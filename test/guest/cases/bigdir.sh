# bigdir.sh - a directory of 10,000 entries (made by the host before boot:
# big/) read through Treaddir, every entry seen exactly once; then 50 names
# replaced from the guest and the listing taken again.
# Facts: names:before, names:after (sha256 of the byte-sorted name list).
. "$LIB"
listing() { # FILE: raw readdir names (no stat per entry: that would cost ~10 ms each)
  hbtool readdir big > "$1"
}
check readdir-10000 listing /tmp/before
check count-10000 eq "$(wc -l < /tmp/before)" 10000
check each-once eq "$(sort /tmp/before | uniq -d | wc -l)" 0
fact names:before "$(sort /tmp/before | sha256sum | cut -d' ' -f1)"
check glob-count sh -c 'set -- big/*; [ $# = 10000 ]'
replace() {
  for i in $(seq 10 59); do
    rm "big/f000$i" && : > "big/new-$i" || return 1
  done
}
check replace-50 replace
check readdir-again listing /tmp/after
check count-after eq "$(wc -l < /tmp/after)" 10000
check each-once-after eq "$(sort /tmp/after | uniq -d | wc -l)" 0
check removed-gone eq "$(grep -c '^f0001[0-9]$' /tmp/after)" 0
fact names:after "$(sort /tmp/after | sha256sum | cut -d' ' -f1)"
finish_checks
