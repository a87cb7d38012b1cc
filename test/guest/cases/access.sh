# access.sh - runs as a non-root guest user (runGuest asUser) under
# access=user or access=client: what the modes allow succeeds, what they
# refuse is refused. The host made, before boot:
#   acc/mine/  owned by the user, 0755     acc/roots/  root, 0755
#   acc/pub    root, 0644 "public"         acc/secret  root, 0600 "secret"
#   acc/sticky/ root, 1777, holding root's file "rootfile"
# Leaves acc/mine/made and acc/sticky/userfile (the user's) for the host.
. "$LIB"
check runs-as-user eq "$(id -u):$(id -g)" "$(cat "$EXTRA/ids")"
check read-public eq "$(cat acc/pub)" public
check read-secret-refused refused 'Permission denied' cat acc/secret
check write-public-refused refused 'Permission denied' sh -c 'echo x >> acc/pub'
check create-in-root-dir-refused refused 'Permission denied' sh -c 'echo x > acc/roots/new'
check mkdir-in-root-dir-refused refused 'Permission denied' mkdir acc/roots/newdir
check chmod-others-refused refused 'Operation not permitted' chmod 666 acc/pub
check chown-to-root-refused refused 'Operation not permitted' chown 0 acc/mine
check sticky-unlink-refused refused 'Operation not permitted' rm -f acc/sticky/rootfile
check sticky-create-own sh -c 'echo mine > acc/sticky/userfile'
check create-own sh -c 'echo made > acc/mine/made && [ "$(cat acc/mine/made)" = made ]'
check own-file-owner eq "$(stat -c %u:%g acc/mine/made)" "$(cat "$EXTRA/ids")"
check chmod-own sh -c 'chmod 600 acc/mine/made && [ "$(stat -c %a acc/mine/made)" = 600 ]'
check mkdir-own sh -c 'mkdir acc/mine/sub && echo in > acc/mine/sub/f'
check rename-own sh -c 'mv acc/mine/sub/f acc/mine/g && [ "$(cat acc/mine/g)" = in ]'
check remove-own sh -c 'rm acc/mine/g && rmdir acc/mine/sub'
finish_checks
