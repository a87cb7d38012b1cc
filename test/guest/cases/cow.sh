# cow.sh - a copy-on-write export (serve --base BASE --cow LAYER). The host
# made the base (cow.guest.ts): a.txt, app.txt, b.txt, mode.txt (0644),
# keep.bin, d/{one,two,sub/three}, empty/, link -> a.txt, h1 and h2 (one
# inode). $EXTRA/phase says which guest this is:
#   change  the first guest: overwrite, append, create, delete, rename a
#           directory, rmdir, chmod, and check its own view of each
#   fresh   a second guest on another layer: sees the base as the host made it
. "$LIB"
phase=$(cat "$EXTRA/phase")
check keep-intact eq "$(sha keep.bin)" "$(cat "$EXTRA/keep.sha")"
check hard-pair eq "$(cat h1 h2)" "$(printf 'hard\nhard')"
if [ "$phase" = change ]; then
  check overwrite sh -c "printf 'changed\n' > a.txt && [ \"\$(cat a.txt)\" = changed ]"
  check symlink-follows-layer eq "$(cat link)" changed
  check append sh -c "echo more >> app.txt && [ \"\$(cat app.txt)\" = \"\$(printf 'append\nmore')\" ]"
  check create sh -c "echo new > new.txt && [ \"\$(cat new.txt)\" = new ]"
  check delete sh -c "rm b.txt && [ ! -e b.txt ]"
  check rename-dir sh -c "mv d e && [ ! -e d ] && [ \"\$(cat e/one e/two e/sub/three)\" = \"\$(printf 'one\ntwo\nthree')\" ]"
  check rmdir sh -c "rmdir empty && [ ! -e empty ]"
  check hard-link-copied-up-together sh -c "echo linked >> h1 && [ \"\$(cat h2)\" = \"\$(printf 'hard\nlinked')\" ] && [ \"\$(stat -c %i h1)\" = \"\$(stat -c %i h2)\" ]"
  check chmod sh -c "chmod 600 mode.txt && [ \"\$(stat -c %a mode.txt)\" = 600 ]"
  check listing eq "$(ls -a | tr '\n' ' ')" ". .. a.txt app.txt e h1 h2 keep.bin link mode.txt new.txt "
else
  check base-a eq "$(cat a.txt)" alpha
  check base-link eq "$(cat link)" alpha
  check base-app eq "$(cat app.txt)" append
  check base-b eq "$(cat b.txt)" bravo
  check base-d eq "$(cat d/one d/two d/sub/three)" "$(printf 'one\ntwo\nthree')"
  check no-e sh -c "[ ! -e e ]"
  check no-new sh -c "[ ! -e new.txt ]"
  check base-empty sh -c "[ -d empty ] && [ -z \"\$(ls -A empty)\" ]"
  check base-mode eq "$(stat -c %a mode.txt)" 644
  check listing eq "$(ls -a | tr '\n' ' ')" ". .. a.txt app.txt b.txt d empty h1 h2 keep.bin link mode.txt "
fi
finish_checks
