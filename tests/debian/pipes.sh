# bash and coreutils: pipelines, subshells, a here-doc and a here-string, process
# substitution, find | xargs, traps on EXIT and on a signal sent to itself, pipefail, mapfile;
# job control off.
set -u
set +m
trap 'echo "trap EXIT status $?"' EXIT
trap 'echo "trap USR1"' USR1
words() { printf '%s\n' the cat and the dog and the bird sat on the mat; }
words | sort | uniq -c | sort -rn | head -3
echo "subshell $( (cd /; pwd; exit 3); echo $? )"
cat <<END | tr a-z A-Z
here-doc $((6 * 7)) ${HOSTNAME:+x}
END
diff <(printf '1\n2\n3\n') <(printf '1\n3\n') && echo same || echo "diff status $?"
paste -d: <(seq 3) <(seq 4 6)
d=$(mktemp -d)
mkdir -p "$d/x/y" && printf 'a\nb\n' > "$d/x/1.txt" && printf 'c\n' > "$d/x/y/2.txt" && : > "$d/x/y/3.log"
find "$d" -name '*.txt' -print0 | sort -z | xargs -0 cat | wc -l
find "$d" -type f | sed "s|$d/||" | sort | xargs -n 2 echo
rm -r "$d"
kill -USR1 $$
{ echo group; false; } || echo "group failed"
set -o pipefail; false | true || echo "pipefail $?"
read -r a b <<< "left right"; echo "$b $a"
mapfile -t lines < <(printf 'x\ny\nz\n'); echo "${#lines[@]} ${lines[2]}"
exit 4
